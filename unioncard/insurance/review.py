"""集中参保审核: the district reviews its units' collective submissions.

待审批参保列表 (status 区局确认中) → 添加至待提交 (待提交职保中心) or 退回 (已退回, with a
reason the unit reads in its 消息提醒; the members' places are released so the unit can
submit them again). 移除 puts an accepted submission back to 待审批. The 待提交参保列表
shows SQL totals per channel and per payer. Submitting the list to 职保中心 is in
``district_submit``.

Who decides: the union whose id is the submission's ``district_id`` (the unit's 区局), never
the unit itself. A secondary union (二级工会) above the unit sees the lists of its subtree
but cannot decide. Every list is one indexed query (plus the page count).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..members.idcard import normalise_text
from ..models_base import SHANGHAI, money, utcnow
from ..orgs import messages
from ..orgs.models import Org, OrgLevel, within
from .models import (
    COLLECTIVE_KINDS,
    CoveragePlan,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    SubmissionStatus,
    UnitSubmission,
)
from .moves import move_enrolments, move_submissions

S = SubmissionStatus
E = EnrolmentStatus
TOPIC = "参保"
MAX_IDS = 500


# --- who may see and decide ----------------------------------------------------------
def scope_org(scope: Scope) -> Org:
    return db.session.get(Org, scope.org_id)


def visible(scope: Scope):
    """Submissions the caller may see: a district its own (indexed by district_id), any
    other union its subtree (a secondary union above the unit, the city)."""
    org = scope_org(scope)
    if org is not None and org.level == OrgLevel.DISTRICT:
        return UnitSubmission.district_id == org.id
    return UnitSubmission.org_id.in_(scope.org_ids())


def check_decider(scope: Scope, submission: UnitSubmission, *, upper_ok: bool = False) -> None:
    """The submission's own district decides it, never the unit itself. With ``upper_ok``
    (集中参保审核, seed 002 §4.3: "二级工会或区局(产业)工会") a secondary union above the unit
    may also accept or return it; instant review and the submission to 职保中心 stay with
    the district. The caller's subtree is checked by the query that found the row."""
    scope.require("insurance.review")
    if submission.org_id == scope.org_id:
        raise PermissionDenied("不能审核本单位提交的参保信息，请由上级工会审核")
    if submission.district_id == scope.org_id:
        return
    org = scope_org(scope)
    if upper_ok and org is not None and org.level == OrgLevel.SECONDARY:
        return
    if upper_ok:
        raise PermissionDenied("集中参保信息由所属二级工会或区局（产业）工会审核，本单位只能查看")
    raise PermissionDenied("即时参保由所属区局（产业）工会审核，本单位只能查看")


def get_submission(scope: Scope, submission_id: int) -> UnitSubmission:
    """One submission the caller may see (the unit itself, its upper unions)."""
    found = db.session.scalar(
        select(UnitSubmission).where(
            UnitSubmission.id == submission_id, UnitSubmission.org_id.in_(scope.org_ids())
        )
    )
    if found is None:
        raise NotFound("未找到该参保提交记录，或不在您的管辖范围内")
    return found


def decidable(
    scope: Scope, ids: list[int], kinds, status: SubmissionStatus, *, upper_ok: bool = False
) -> list[UnitSubmission]:
    """Lock the submissions ``ids`` for a decision: all must exist in scope, be decidable
    by the caller, have one of ``kinds`` and be in ``status`` (all or nothing)."""
    ids = sorted(set(ids))
    if not ids:
        raise ValidationFailed("请选择参保信息", {"submission_ids": ["请至少选择一条"]})
    if len(ids) > MAX_IDS:
        raise ValidationFailed(f"一次最多处理{MAX_IDS}条", {"submission_ids": ["选择过多"]})
    rows = list(
        db.session.scalars(
            select(UnitSubmission)
            .where(UnitSubmission.id.in_(ids), UnitSubmission.org_id.in_(scope.org_ids()))
            .order_by(UnitSubmission.id)
            .with_for_update()
        )
    )
    missing = set(ids) - {r.id for r in rows}
    if missing:
        raise NotFound(
            f"未找到参保提交记录 {'、'.join(map(str, sorted(missing)))}，或不在您的管辖范围内"
        )
    for row in rows:
        check_decider(scope, row, upper_ok=upper_ok)
        if row.kind not in kinds:
            raise Conflict(f"「{row.org.name}」的{row.kind.value}不在本列表中办理")
        if row.status != status:
            raise Conflict(
                f"「{row.org.name}」的参保信息当前为「{row.status.value}」，"
                f"只有「{status.value}」的才能办理，请刷新后重试"
            )
    return rows


# --- lists ---------------------------------------------------------------------------
def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def submission_rows(scope: Scope, statuses, kinds, f: dict):
    """The select behind every review list: one row per submission with the unit's name,
    code, upper union and plan, filtered as in seed 002 (单位名称, 组织机构代码, 提交时间,
    上级工会, 保障类型, 参保通道)."""
    parent = aliased(Org)
    stmt = (
        select(
            UnitSubmission,
            Org.name.label("org_name"),
            Org.uscc.label("uscc"),
            parent.name.label("parent_name"),
            CoveragePlan.name.label("plan_name"),
        )
        .join(Org, Org.id == UnitSubmission.org_id)
        .outerjoin(parent, parent.id == Org.parent_id)
        .join(CoveragePlan, CoveragePlan.id == UnitSubmission.plan_id)
        .where(visible(scope), UnitSubmission.status.in_(statuses))
    )
    kind = f.get("kind")
    if kind:
        if EnrolmentKind(kind) not in kinds:
            return stmt.where(False)
        stmt = stmt.where(UnitSubmission.kind == EnrolmentKind(kind))
    else:
        stmt = stmt.where(UnitSubmission.kind.in_(kinds))
    if f.get("org_name"):
        stmt = stmt.where(Org.name.contains(normalise_text(f["org_name"]), autoescape=True))
    if f.get("uscc"):
        stmt = stmt.where(Org.uscc.contains(normalise_text(f["uscc"]).upper(), autoescape=True))
    if f.get("submitted_from"):
        stmt = stmt.where(UnitSubmission.submitted_at >= _day_start(f["submitted_from"]))
    if f.get("submitted_to"):
        end = _day_start(f["submitted_to"] + timedelta(days=1))
        stmt = stmt.where(UnitSubmission.submitted_at < end)
    if f.get("parent_id"):
        upper = scope.get_org(f["parent_id"])
        stmt = stmt.where(within(Org.path, upper.path), Org.id != upper.id)
    if f.get("plan_id"):
        stmt = stmt.where(UnitSubmission.plan_id == f["plan_id"])
    if f.get("year"):
        stmt = stmt.where(UnitSubmission.year == f["year"])
    return stmt.order_by(UnitSubmission.submitted_at, UnitSubmission.id)


def present(row) -> dict:
    """A row of ``submission_rows`` as the lists answer it."""
    return _presented(row[0], row.org_name, row.uscc, row.parent_name, row.plan_name)


def present_one(sub: UnitSubmission) -> dict:
    parent = sub.org.parent
    return _presented(
        sub, sub.org.name, sub.org.uscc, parent.name if parent else None, sub.plan.name
    )


def _presented(sub: UnitSubmission, org_name, uscc, parent_name, plan_name) -> dict:
    return {
        "id": sub.id,
        "org_id": sub.org_id,
        "org_name": org_name,
        "uscc": uscc,
        "parent_name": parent_name,
        "district_id": sub.district_id,
        "year": sub.year,
        "plan_id": sub.plan_id,
        "plan_name": plan_name,
        "kind": sub.kind.value,
        "status": sub.status.value,
        "member_count": sub.member_count,
        "fee_total": sub.fee_total,
        "city_total": sub.city_total,
        "district_total": sub.district_total,
        "grassroots_total": sub.grassroots_total,
        "submitted_by_name": sub.submitted_by_name,
        "submitted_at": sub.submitted_at,
        "decided_by_name": sub.decided_by_name,
        "decided_at": sub.decided_at,
        "return_reason": sub.return_reason,
        "batch_id": sub.batch_id,
    }


def pending(scope: Scope, f: dict):
    """待审批参保列表."""
    return submission_rows(scope, [S.SUBMITTED], COLLECTIVE_KINDS, f)


def accepted(scope: Scope, f: dict):
    """待提交参保列表."""
    return submission_rows(scope, [S.ACCEPTED], COLLECTIVE_KINDS, f)


def enrolment_totals(where) -> dict:
    """合计参保人数 (per channel) and 保障费用 with its split, summed by the database."""
    e = Enrolment
    row = db.session.execute(
        select(
            func.count(e.id),
            func.coalesce(func.sum(case((e.kind == EnrolmentKind.CARD, 1), else_=0)), 0),
            func.coalesce(func.sum(case((e.kind == EnrolmentKind.SOCIAL, 1), else_=0)), 0),
            func.sum(e.fee),
            func.sum(e.city_share),
            func.sum(e.district_share),
            func.sum(e.grassroots_share),
            func.sum(e.individual_share),
        ).where(where)
    ).one()
    zero = Decimal("0.00")
    return {
        "member_count": int(row[0]),
        "card_count": int(row[1]),
        "social_count": int(row[2]),
        "fee_total": money(row[3]) if row[3] is not None else zero,
        "city_total": money(row[4]) if row[4] is not None else zero,
        "district_total": money(row[5]) if row[5] is not None else zero,
        "grassroots_total": money(row[6]) if row[6] is not None else zero,
        "individual_total": money(row[7]) if row[7] is not None else zero,
    }


def accepted_totals(scope: Scope, year: int | None = None) -> dict:
    """The 待提交参保列表's line: 合计参保人数 (会员卡/社保卡), 保障费用 and its split."""
    subs = select(UnitSubmission.id).where(
        visible(scope),
        UnitSubmission.status == S.ACCEPTED,
        UnitSubmission.kind.in_(COLLECTIVE_KINDS),
    )
    if year:
        subs = subs.where(UnitSubmission.year == year)
    totals = enrolment_totals(
        Enrolment.submission_id.in_(subs.scalar_subquery()) & (Enrolment.status == E.ACCEPTED)
    )
    totals["submission_count"] = db.session.scalar(
        select(func.count()).select_from(subs.subquery())
    )
    return totals


# --- decisions -----------------------------------------------------------------------
def _decided(scope: Scope) -> dict:
    return {"decided_by_name": scope.account_name, "decided_at": utcnow()}


def accept(scope: Scope, ids: list[int], *, ip=None) -> list[UnitSubmission]:
    """添加至待提交: one or many pending submissions join the 待提交参保列表."""
    rows = decidable(scope, ids, COLLECTIVE_KINDS, S.SUBMITTED, upper_ok=True)
    where_ids = UnitSubmission.id.in_([r.id for r in rows])
    moved = move_submissions(where_ids, [S.SUBMITTED], S.ACCEPTED, **_decided(scope))
    if moved != len(rows):
        raise Conflict("参保信息已被他人处理，请刷新后重试")
    move_enrolments(Enrolment.submission_id.in_([r.id for r in rows]), [E.SUBMITTED], E.ACCEPTED)
    audit.record(
        scope,
        "insurance.accept",
        target_type="unit_submission",
        target_ids=[r.id for r in rows],
        ip=ip,
    )
    return _reloaded(rows)


def remove(scope: Scope, ids: list[int], *, ip=None) -> list[UnitSubmission]:
    """移除: accepted submissions go back to the 待审批参保列表."""
    rows = decidable(scope, ids, COLLECTIVE_KINDS, S.ACCEPTED, upper_ok=True)
    where_ids = UnitSubmission.id.in_([r.id for r in rows])
    moved = move_submissions(where_ids, [S.ACCEPTED], S.SUBMITTED, **_decided(scope))
    if moved != len(rows):
        raise Conflict("参保信息已被他人处理，请刷新后重试")
    move_enrolments(Enrolment.submission_id.in_([r.id for r in rows]), [E.ACCEPTED], E.SUBMITTED)
    audit.record(
        scope,
        "insurance.unaccept",
        target_type="unit_submission",
        target_ids=[r.id for r in rows],
        ip=ip,
    )
    return _reloaded(rows)


def clean_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip() if isinstance(reason, str) else ""  # punctuation kept
    if not text:
        raise ValidationFailed("请填写原因，单位将看到该原因", {field: ["必填项，请填写"]})
    if len(text) > 500:
        raise ValidationFailed("原因最多500个字", {field: ["最多 500 个字符"]})
    return text


def return_submission(scope: Scope, submission_id: int, reason: str, *, ip=None):
    """退回: the unit reads the reason in its 消息提醒 and may submit the members again."""
    text = clean_reason(reason)
    (sub,) = decidable(scope, [submission_id], COLLECTIVE_KINDS, S.SUBMITTED, upper_ok=True)
    moved = move_submissions(
        UnitSubmission.id == sub.id,
        [S.SUBMITTED],
        S.RETURNED,
        return_reason=text,
        **_decided(scope),
    )
    if moved != 1:
        raise Conflict("参保信息已被他人处理，请刷新后重试")
    count = move_enrolments(Enrolment.submission_id == sub.id, [E.SUBMITTED], E.RETURNED)
    decider = scope_org(scope)  # the district, or the secondary union above the unit
    submitted = sub.submitted_at.astimezone(SHANGHAI)
    messages.send(
        sub.org_id,
        TOPIC,
        f"{sub.year}年度集中参保信息被退回",
        f"贵单位于{submitted:%Y-%m-%d %H:%M}提交的{sub.year}年度{sub.kind.value}"
        f"（{count}人）已被{decider.name}退回。退回原因：{text}。"
        "请按原因修改后重新提交至区局审核。",
        dedupe_key=f"ins-returned:{sub.id}",
    )
    audit.record(
        scope,
        "insurance.return",
        target_type="unit_submission",
        target_ids=[sub.id],
        detail={"reason": text, "enrolments": count},
        ip=ip,
    )
    return _reloaded([sub])[0]


def _reloaded(rows: list[UnitSubmission]) -> list[UnitSubmission]:
    for row in rows:
        db.session.refresh(row)
    return rows


def submission_enrolments(scope: Scope, submission_id: int):
    """The members of one submission (for its detail page)."""
    from ..members.models import Member

    sub = get_submission(scope, submission_id)
    return (
        select(Enrolment, Member)
        .join(Member, Member.id == Enrolment.member_id)
        .where(Enrolment.submission_id == sub.id)
        .order_by(Enrolment.id)
    )


def pending_page(scope: Scope, f: dict, *, page: int = 1, page_size: int = 20) -> list[dict]:
    """One page of the 待审批参保列表 as dicts: a single indexed query."""
    stmt = pending(scope, f).offset((page - 1) * page_size).limit(page_size)
    return [present(row) for row in db.session.execute(stmt).all()]
