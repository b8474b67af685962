"""The payment deadline (逾期未缴费): run hourly by the beat (task insurance.expire_unpaid).

From the day after a batch's ``payment_deadline`` (Shanghai calendar), a batch still 待缴费
fails (参保失败) with its submissions and enrolments; the members' places are released and
they must enrol instantly. Collective submissions the district never sent (区局确认中 or
待提交职保中心) fail too once the campaign's district window (``district_to``) is over.

An instant enrolment (即时参保, a unit's or a member's own) the district never reviewed
before its coverage year ended is refused; a member who paid in the mini-program is
refunded (``personal_hooks.on_refused``).

Each affected union gets one 消息提醒 per batch (or per year for unsent submissions), by
dedupe key. Every change is a status-conditioned UPDATE and messages are inserted with ON
CONFLICT DO NOTHING: a second run, or two runs at once, change and count nothing more.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..members import idcard
from ..models_base import utcnow
from ..orgs import messages
from . import personal_hooks
from .models import (
    COLLECTIVE_KINDS,
    INSTANT_KINDS,
    Campaign,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)
from .moves import move_batches, move_enrolments, move_submissions

S = SubmissionStatus
E = EnrolmentStatus
B = InsuranceBatchStatus
TOPIC = "参保"
UNPAID_REASON = "逾期未缴费，参保失败，请按即时参保流程办理"
UNSENT_REASON = "区局未在规定时间内提交至职保中心，参保失败，请按即时参保流程办理"
UNREVIEWED_REASON = "区局未在保障年度内审核，参保未成功；已缴费用原路退回"


def expire_unpaid() -> dict:
    """Fail what is overdue today; returns the counts of what this run changed."""
    today = idcard.today_in_china()
    counts = {"batches": 0, "submissions": 0, "enrolments": 0, "messages": 0}
    overdue = db.session.execute(
        select(InsuranceBatch.id, InsuranceBatch.org_id, InsuranceBatch.batch_no)
        .where(
            InsuranceBatch.status == B.AWAITING_PAYMENT,
            InsuranceBatch.payment_deadline < today,
        )
        .order_by(InsuranceBatch.id)
    ).all()
    for batch_id, district_id, batch_no in overdue:
        _fail_batch(batch_id, district_id, batch_no, counts)
    campaigns = db.session.execute(
        select(Campaign.year, Campaign.district_to).where(Campaign.district_to < today)
    ).all()
    for year, district_to in campaigns:
        _fail_unsent(year, district_to, counts)
    _refuse_unreviewed(today, counts)
    return counts


def _refuse_unreviewed(today, counts: dict) -> None:
    rows = db.session.execute(
        select(UnitSubmission.id, UnitSubmission.org_id, UnitSubmission.district_id)
        .where(
            UnitSubmission.kind.in_(INSTANT_KINDS),
            UnitSubmission.status == S.SUBMITTED,
            UnitSubmission.year < today.year,  # its coverage ended on 31 December
        )
        .order_by(UnitSubmission.id)
    ).all()
    for sub_id, org_id, district_id in rows:
        if not move_submissions(
            UnitSubmission.id == sub_id, [S.SUBMITTED], S.REFUSED, return_reason=UNREVIEWED_REASON
        ):
            continue  # reviewed meanwhile, or another run
        personal = list(
            db.session.scalars(
                select(Enrolment.id).where(
                    Enrolment.submission_id == sub_id,
                    Enrolment.kind == EnrolmentKind.PERSONAL,
                    Enrolment.status == E.SUBMITTED,
                )
            )
        )
        counts["submissions"] += 1
        counts["enrolments"] += move_enrolments(
            Enrolment.submission_id == sub_id,
            [E.SUBMITTED],
            E.REFUSED,
            failed_reason=UNREVIEWED_REASON,
        )
        if personal:
            personal_hooks.on_refused(personal)  # refunds, after this transaction commits
        for target in sorted({org_id, district_id}):
            counts["messages"] += messages.send(
                target,
                TOPIC,
                "即时参保未在保障年度内审核",
                "有即时参保信息在保障年度结束前未经区局审核，已按未通过处理；"
                "会员个人缴纳的费用原路退回。",
                dedupe_key=f"ins-unreviewed:{sub_id}:{target}",
            )


def _fail_batch(batch_id: int, district_id: int, batch_no: str, counts: dict) -> None:
    won = move_batches(
        InsuranceBatch.id == batch_id, [B.AWAITING_PAYMENT], B.FAILED, failed_at=utcnow()
    )
    if won != 1:  # another run, or the voucher arrived meanwhile
        return
    units = db.session.execute(
        select(UnitSubmission.org_id, UnitSubmission.year)
        .where(UnitSubmission.batch_id == batch_id, UnitSubmission.status == S.SENT)
        .distinct()
    ).all()
    counts["batches"] += 1
    counts["submissions"] += move_submissions(
        UnitSubmission.batch_id == batch_id, [S.SENT], S.FAILED
    )
    counts["enrolments"] += move_enrolments(
        Enrolment.batch_id == batch_id, [E.SENT], E.FAILED, failed_reason=UNPAID_REASON
    )
    body = f"参保批次{batch_no}逾期未缴费，参保失败。相关会员请按即时参保流程办理。"
    for org_id in sorted({district_id} | {org_id for org_id, _year in units}):
        counts["messages"] += messages.send(
            org_id,
            TOPIC,
            "参保批次逾期未缴费",
            body,
            dedupe_key=f"ins-expired:{batch_id}:{org_id}",
        )


def _fail_unsent(year: int, district_to, counts: dict) -> None:
    stale = (
        (UnitSubmission.year == year)
        & UnitSubmission.kind.in_(COLLECTIVE_KINDS)
        & UnitSubmission.status.in_([S.SUBMITTED, S.ACCEPTED])
    )
    rows = db.session.execute(
        select(UnitSubmission.id, UnitSubmission.org_id, UnitSubmission.district_id).where(stale)
    ).all()
    if not rows:
        return
    ids = [r.id for r in rows]
    # lock-free but exact: only the rows still in those statuses move, once
    moved_ids = []
    for sub_id in ids:
        if move_submissions(UnitSubmission.id == sub_id, [S.SUBMITTED, S.ACCEPTED], S.FAILED):
            moved_ids.append(sub_id)
    if not moved_ids:
        return
    counts["submissions"] += len(moved_ids)
    counts["enrolments"] += move_enrolments(
        Enrolment.submission_id.in_(moved_ids),
        [E.SUBMITTED, E.ACCEPTED],
        E.FAILED,
        failed_reason=UNSENT_REASON,
    )
    deadline = f"{district_to.year}年{district_to.month}月{district_to.day}日"
    orgs = {r.org_id for r in rows if r.id in moved_ids} | {
        r.district_id for r in rows if r.id in moved_ids
    }
    for org_id in sorted(orgs):
        counts["messages"] += messages.send(
            org_id,
            TOPIC,
            f"{year}年度集中参保未提交至职保中心",
            f"{year}年度集中参保中尚未提交至职保中心的参保信息已于{deadline}截止，参保失败。"
            "相关会员请按即时参保流程办理。",
            dedupe_key=f"ins-unsent:{year}:{org_id}",
        )
