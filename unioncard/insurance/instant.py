"""即时参保: a unit enrols carded members at any time of the year (有卡无保 / 新办卡), and a
member enrols alone in the mini-program (个人参保). Coverage runs from the next day to 31
December; the district reviews each submission (即时参保审核).

- 有卡无保: holds a card issued before this year, no enrolment holding a place this year.
- 新办卡: holds a card issued this year (the bank's answer, in Shanghai time), no enrolment.
  The two lists are disjoint, so a member's kind is never ambiguous.
- 人保状态 待确认 does not block instant enrolment (the confirmation list belongs to 集中参保).
- The one-plan rule holds: a unit's instant submission must use the plan its union has for
  the year, and fixes it when there is none yet. A member's own enrolment must use the
  union's plan when it has one, but does not fix it (the member chose, not the union).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..accounts.scope import Scope
from ..audit import services as audit
from ..bulk import among
from ..cards.models import MemberCard
from ..errors import Conflict, ValidationFailed
from ..extensions import db, savepoint
from ..members.models import Member, MemberStatus
from ..models_base import utcnow
from ..orgs.models import Org
from . import collective, moves, plans, rules
from . import enrolling as e
from .models import (
    CoveragePlan,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    SubmissionStatus,
    UnitSubmission,
)

UNIT_KINDS = (EnrolmentKind.CARD_NO_COVER, EnrolmentKind.NEW_CARD)


def _kind(kind) -> EnrolmentKind:
    try:
        value = EnrolmentKind(kind)
    except ValueError:
        value = None
    if value not in UNIT_KINDS:
        raise ValidationFailed(
            "即时参保的参保类型只能是有卡无保或新办卡", {"kind": "请选择参保类型"}
        )
    return value


def candidate_conditions(org_id: int, kind: EnrolmentKind, today: date) -> list:
    coverage = rules.instant_coverage(today)
    mc = aliased(MemberCard)
    issued = func.coalesce(mc.feedback_at, mc.created_at)
    this_year = e.year_start_utc(today.year)
    new = issued >= this_year if kind == EnrolmentKind.NEW_CARD else issued < this_year
    card = select(mc.id).where(mc.member_id == Member.id, mc.status.in_(rules.CARDED), new).exists()
    return [*e.open_members(org_id, coverage.year, cutoff=coverage.start), card]


def candidates(scope: Scope, org_id: int | None, kind, f: dict | None = None):
    """有卡无保 / 新办卡 candidates: rows of (Member, MemberCard, retirement_warning, year)."""
    org = e.union_of(scope, org_id)
    kind = _kind(kind)
    today = plans.today()
    year = rules.instant_year(today)
    stmt = (
        select(
            Member,
            MemberCard,
            literal(False).label("retirement_warning"),
            literal(year).label("year"),
        )
        .join(MemberCard, MemberCard.member_id == Member.id)
        .where(*candidate_conditions(org.id, kind, today))
        .order_by(Member.id)
    )
    return collective._filtered(stmt, f or {})


def coverage_for(plan: CoveragePlan | None = None) -> rules.Coverage:
    return rules.instant_coverage(plans.today(), plan)


def submit(scope: Scope, org_id: int | None, *, kind, plan_id: int, member_ids, ip=None):
    """提交至区局审核 (即时参保): coverage from tomorrow to 31 December."""
    org = e.union_of(scope, org_id)
    kind = _kind(kind)
    if not member_ids:
        raise ValidationFailed("请勾选要参保的会员", {"member_ids": "请勾选会员"})
    today = plans.today()
    year = rules.instant_year(today)
    plan = plans.get_plan(plan_id, year)
    if not plan.active:
        raise Conflict(f"保障类型“{plan.name}”已停用，请选择其他保障类型")
    coverage = rules.instant_coverage(today, plan)
    ids = set(member_ids)
    conds = [*candidate_conditions(org.id, kind, today), among(Member.id, ids)]
    e.fix_union_plan(org, year, plan, kind)
    submission = e.create_submission(
        scope,
        org,
        year=year,
        plan=plan,
        kind=kind,
        coverage=coverage,
        shares=plans.effective_shares(plan, org, half_year=coverage.half_year),
        conditions=conds,
        expected=len(ids),
    )
    audit.record(
        scope,
        "insurance.instant_submit",
        target_type="unit_submission",
        target_ids=[submission.id],
        detail={"year": year, "kind": kind.value, "plan_id": plan.id, "count": len(ids)},
        ip=ip,
    )
    return submission


# --- 个人参保 (called by the mini-program) ------------------------------------------------
def enrol_individual(member: Member, plan: CoveragePlan, year: int, today: date) -> Enrolment:
    """A member's own enrolment, 待支付 until the WeChat Pay order is paid (``mark_paid``).

    Shares: the city allocates its share as for a unit; the member pays the plan's
    ``individual_share``; no district or grassroots share (rules.individual_shares)."""
    coverage = rules.instant_coverage(today, plan)
    if coverage.year != year or plan.year != year:
        raise ValidationFailed(
            f"当前只能参加{coverage.year}年度的保障，请选择{coverage.year}年度的保障类型"
        )
    if not plan.active:
        raise Conflict(f"保障类型“{plan.name}”已停用，请选择其他保障类型")
    if member.status != MemberStatus.ACTIVE:
        raise Conflict(f"您的会员状态为“{member.status.value}”，暂不能参保，请联系所在工会")
    if member.retired_on is not None and member.retired_on < coverage.start:
        raise Conflict("您已退休，不属于工会会员专享基本保障的保障范围")
    card = db.session.scalar(select(MemberCard).where(MemberCard.member_id == member.id))
    if card is None or card.status.value not in rules.CARDED:
        raise Conflict("请先办理工会会员服务卡，办卡成功后再参保")
    fixed = e.union_plan(member.org_id, year)
    if fixed is not None and fixed.id != plan.id:
        raise Conflict(
            f"您所在工会本年度的保障类型为：{fixed.name}，同一保障年度只能选择一个保障类型"
        )
    shares = rules.individual_shares(plan, half_year=coverage.half_year)
    enrolment = Enrolment(
        member_id=member.id,
        holding_member_id=member.id,
        org_id=member.org_id,
        year=year,
        plan_id=plan.id,
        kind=EnrolmentKind.PERSONAL,
        status=EnrolmentStatus.AWAITING_PAYMENT,
        start_date=coverage.start,
        end_date=coverage.end,
        half_year=coverage.half_year,
        fee=shares.fee,
        city_share=shares.city,
        district_share=shares.district,
        grassroots_share=shares.grassroots,
        individual_share=shares.individual,
    )
    try:
        with savepoint():
            db.session.add(enrolment)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"您{year}年度已参保或有待支付的参保订单，请勿重复提交") from exc
    return enrolment


def mark_paid(enrolment: Enrolment, *, paid_by_name: str | None = None) -> UnitSubmission:
    """The order is paid: the enrolment goes to its district's 即时参保审核 as a one-member
    submission (个人参保, 区局确认中)."""
    if enrolment.kind != EnrolmentKind.PERSONAL:
        raise Conflict("只有个人参保的订单可以确认支付")
    org = db.session.get(Org, enrolment.org_id)
    district = plans.district_of(org)
    if district is None:
        raise ValidationFailed("会员所在工会不属于任何区局(产业)工会，无法提交参保")
    moves.move_enrolment(enrolment, EnrolmentStatus.SUBMITTED)
    submission = UnitSubmission(
        org_id=org.id,
        district_id=district.id,
        year=enrolment.year,
        plan_id=enrolment.plan_id,
        kind=EnrolmentKind.PERSONAL,
        status=SubmissionStatus.SUBMITTED,
        member_count=1,
        fee_total=enrolment.fee,
        city_total=enrolment.city_share,
        district_total=enrolment.district_share,
        grassroots_total=enrolment.grassroots_share,
        submitted_by_name=paid_by_name,
        submitted_at=utcnow(),
    )
    db.session.add(submission)
    db.session.flush()
    enrolment.submission_id = submission.id
    db.session.flush()
    return submission


def cancel_unpaid(enrolment: Enrolment, reason: str = "订单未支付，已关闭") -> None:
    """An unpaid personal order closed: the member's place for the year is freed."""
    moves.move_enrolment(enrolment, EnrolmentStatus.CANCELLED, failed_reason=reason)
