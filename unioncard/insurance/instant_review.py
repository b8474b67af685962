"""即时参保审核: the district approves or refuses instant submissions (有卡无保, 新办卡 by a
unit; 个人参保 by a member who paid in the mini-program).

Approve: the approved submissions of one call go into one ``InsuranceBatch`` per coverage
year and payer (source 即时参保):

- units' submissions (有卡无保/新办卡): batch 待缴费, payable until the approval day plus
  ``INSURANCE_INSTANT_PAYMENT_WORKDAYS`` working days (China's official calendar);
  submissions and enrolments 职保中心确认中; the district then uploads the voucher and
  职保中心 confirms, as for 集中参保.
- members' own submissions (个人参保): the member already paid by WeChat Pay, so there is
  nothing to pay and no voucher: the batch is created 已完成 at once and the enrolments are
  已完成 (covered from their start date).

Refuse (with a reason): submissions 已拒绝, enrolments 已拒绝 (the members' places are
released). For 个人参保 the refund hooks in at ``personal_hooks.on_refused``, called after
the flush inside the same transaction.
"""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict
from ..extensions import db
from ..members import idcard
from ..models_base import utcnow
from ..orgs import messages
from ..workdays import add_workdays
from . import personal_hooks
from .district_submit import district_of, new_batch
from .models import (
    INSTANT_KINDS,
    BatchSource,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)
from .moves import move_enrolments, move_submissions
from .review import TOPIC, clean_reason, decidable, submission_rows

S = SubmissionStatus
E = EnrolmentStatus


def pending(scope: Scope, f: dict):
    """待审核的即时参保 (有卡无保、新办卡、个人参保)."""
    return submission_rows(scope, [S.SUBMITTED], INSTANT_KINDS, f)


def payment_workdays() -> int:
    return int(current_app.config.get("INSURANCE_INSTANT_PAYMENT_WORKDAYS", 10))


def approve(scope: Scope, ids: list[int], *, ip=None) -> list[InsuranceBatch]:
    """审核通过: returns the batches made (one per year and payer)."""
    district = district_of(scope)
    rows = decidable(scope, ids, INSTANT_KINDS, S.SUBMITTED)
    today = idcard.today_in_china()
    deadline = add_workdays(today, payment_workdays())
    groups: dict[tuple[int, bool], list[UnitSubmission]] = defaultdict(list)
    for row in rows:
        groups[(row.year, row.kind == EnrolmentKind.PERSONAL)].append(row)
    now = utcnow()
    decided = {"decided_by_name": scope.account_name, "decided_at": now}
    batches = []
    for (year, personal), subs in sorted(groups.items()):
        sub_ids = [s.id for s in subs]
        enrolled = Enrolment.submission_id.in_(sub_ids) & (Enrolment.status == E.SUBMITTED)
        if personal:
            batch = new_batch(
                district,
                year,
                BatchSource.INSTANT,
                InsuranceBatchStatus.COMPLETED,
                enrolled,
                submitted_by_name=scope.account_name,
                confirmed_at=now,
                confirmed_by_name=scope.account_name,
            )
            target_sub, target_enr = S.COMPLETED, E.COMPLETED
        else:
            batch = new_batch(
                district,
                year,
                BatchSource.INSTANT,
                InsuranceBatchStatus.AWAITING_PAYMENT,
                enrolled,
                payment_deadline=deadline,
                submitted_by_name=scope.account_name,
            )
            target_sub, target_enr = S.SENT, E.SENT
        moved = move_submissions(
            UnitSubmission.id.in_(sub_ids), [S.SUBMITTED], target_sub, batch_id=batch.id, **decided
        )
        if moved != len(sub_ids):
            raise Conflict("参保信息已被他人处理，请刷新后重试")
        move_enrolments(enrolled, [E.SUBMITTED], target_enr, batch_id=batch.id)
        for sub in subs:
            if not personal:
                messages.send(
                    sub.org_id,
                    TOPIC,
                    "即时参保审核通过",
                    f"贵单位提交的{sub.year}年度{sub.kind.value}（{sub.member_count}人）已审核通过，"
                    f"批次编号{batch.batch_no}。请于{deadline.isoformat()}前缴费，逾期未缴费则参保失败。",
                    dedupe_key=f"ins-instant-approved:{sub.id}",
                )
        batches.append(batch)
    audit.record(
        scope,
        "insurance.instant_approve",
        target_type="unit_submission",
        target_ids=[r.id for r in rows],
        detail={"batches": [b.batch_no for b in batches]},
        ip=ip,
    )
    db.session.flush()
    return batches


def refuse(scope: Scope, ids: list[int], reason: str, *, ip=None) -> list[UnitSubmission]:
    """拒绝 (with a reason the unit or member reads)."""
    text = clean_reason(reason)
    rows = decidable(scope, ids, INSTANT_KINDS, S.SUBMITTED)
    sub_ids = [r.id for r in rows]
    moved = move_submissions(
        UnitSubmission.id.in_(sub_ids),
        [S.SUBMITTED],
        S.REFUSED,
        return_reason=text,
        decided_by_name=scope.account_name,
        decided_at=utcnow(),
    )
    if moved != len(sub_ids):
        raise Conflict("参保信息已被他人处理，请刷新后重试")
    personal_ids = list(
        db.session.scalars(
            select(Enrolment.id)
            .where(
                Enrolment.submission_id.in_(sub_ids),
                Enrolment.kind == EnrolmentKind.PERSONAL,
                Enrolment.status == E.SUBMITTED,
            )
            .order_by(Enrolment.id)
        )
    )
    move_enrolments(  # the reason reaches the member (参保记录, subscribe message)
        Enrolment.submission_id.in_(sub_ids), [E.SUBMITTED], E.REFUSED, failed_reason=text[:200]
    )
    for row in rows:
        if row.kind != EnrolmentKind.PERSONAL:
            messages.send(
                row.org_id,
                TOPIC,
                "即时参保未通过审核",
                f"贵单位提交的{row.year}年度{row.kind.value}（{row.member_count}人）未通过区局审核。"
                f"原因：{text}。",
                dedupe_key=f"ins-refused:{row.id}",
            )
    db.session.flush()
    if personal_ids:
        personal_hooks.on_refused(personal_ids)
    audit.record(
        scope,
        "insurance.instant_refuse",
        target_type="unit_submission",
        target_ids=sub_ids,
        detail={"reason": text},
        ip=ip,
    )
    for row in rows:
        db.session.refresh(row)
    return rows
