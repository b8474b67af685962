"""Shared enrolment machinery: who is in which list (as SQL), the one-plan rule, and the bulk
creation of a unit submission with its enrolments.

The SQL predicates here mirror ``rules.card_eligibility`` / ``rules.social_state`` (the tests
run both over the same table of cases), so that lists and statistics are computed by the
database, in one query, however many members a union has.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..accounts.scope import Scope
from ..bulk import among, is_postgres
from ..cards.models import MemberCard
from ..errors import Conflict, ValidationFailed
from ..extensions import db, savepoint
from ..members.models import EmploymentStatus, InsuranceStatus, Member, MemberStatus
from ..members.models import SocialCardStatus as SocialCard
from ..models_base import utcnow
from ..orgs.models import Org, OrgLevel
from . import rules
from .models import (
    CollectiveConfirmation,
    CoveragePlan,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    SubmissionStatus,
    UnionPlanChoice,
    UnitSubmission,
)
from .plans import district_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
CARDED = rules.CARDED


def union_of(scope: Scope, org_id: int | None) -> Org:
    """The grassroots union the clerk acts for (own org by default), inside the scope."""
    org = scope.get_org(org_id or scope.org_id)
    if org.level != OrgLevel.GRASSROOTS:
        raise ValidationFailed("参保办理只能由基层工会进行，请选择一个基层工会")
    return org


# --- predicates ------------------------------------------------------------------------
# Sub-queries use aliases: the outer query may join the same tables (a list with the card).
# Made once: an alias's columns are set up on first use, and that costs more than the query
# itself on a small union's statistics (several milliseconds a request when made per call).
_HELD = aliased(Enrolment)
_CONFIRMED = aliased(CollectiveConfirmation)
_CARD = aliased(MemberCard)


def holding(year: int):
    """The member holds an enrolment for ``year`` (参保中或已参保)."""
    return exists().where(_HELD.holding_member_id == Member.id, _HELD.year == year)


def confirmed(year: int):
    return exists().where(_CONFIRMED.member_id == Member.id, _CONFIRMED.year == year)


def carded():
    return exists().where(_CARD.member_id == Member.id, _CARD.status.in_(CARDED))


def not_retired_before(cutoff: date):
    return or_(Member.retired_on.is_(None), Member.retired_on >= cutoff)


def insurance_ok(year: int):
    return or_(Member.insurance_status == InsuranceStatus.NORMAL, confirmed(year))


# The conditions that depend on the year alone are built once per year: SQL expressions are
# immutable, and building these (enum coercions, EXISTS subqueries) took a small union's
# list longer than the database took to answer it.
@functools.lru_cache(maxsize=32)
def _open_in(year: int, cutoff: date) -> tuple:
    return (Member.status == MemberStatus.ACTIVE, not_retired_before(cutoff), ~holding(year))


def open_members(org_id: int, year: int, cutoff: date | None = None) -> list:
    """Active members of the union, not retired before the cutoff, not enrolled for the year."""
    return [Member.org_id == org_id, *_open_in(year, cutoff or date(year, 1, 1))]


@functools.lru_cache(maxsize=32)
def _card_eligible_in(year: int, joined_card: bool) -> tuple:
    has_card = MemberCard.status.in_(CARDED) if joined_card else carded()
    return (has_card, insurance_ok(year))


def card_eligible(org_id: int, year: int, *, joined_card: bool = False) -> list:
    """会员卡参保可参保名单. With ``joined_card`` the caller's select already joins the member's
    card (a member has at most one: ``member_card.member_id`` is unique), and that row's status
    is tested instead of an EXISTS that would look the same card up again for every member
    (at the 50,000-member union, 10,000 index probes for the list's total)."""
    return [*open_members(org_id, year), *_card_eligible_in(year, joined_card)]


def social_base(org_id: int, year: int) -> list:
    """社保卡参保信息管理: 身份证, no card, active, not enrolled."""
    return [*open_members(org_id, year), Member.id_type == rules.ID_CARD, ~carded()]


def social_ready():
    return and_(
        Member.social_card_status == SocialCard.NORMAL,
        Member.employment_status == EmploymentStatus.EMPLOYED,
    )


def social_to_submit(org_id: int, year: int) -> list:
    """待提交: social-security card 正常 and 在职 (and 人保状态 正常 or confirmed)."""
    return [*social_base(org_id, year), social_ready(), insurance_ok(year)]


def social_to_check(org_id: int, year: int) -> list:
    """待校验: the rest of the social channel."""
    not_ready = or_(
        Member.social_card_status.is_(None),
        Member.social_card_status != SocialCard.NORMAL,
        Member.employment_status.is_(None),
        Member.employment_status != EmploymentStatus.EMPLOYED,
        and_(Member.insurance_status == InsuranceStatus.TO_CONFIRM, ~confirmed(year)),
    )
    return [*social_base(org_id, year), not_ready]


def to_confirm(org_id: int, year: int) -> list:
    """集中参保待确认名单: 人保状态 待确认, not confirmed yet, in either channel.

    The plain column tests come first, the look-ups (enrolment, confirmation, card) last: in
    a WHERE clause PostgreSQL orders the conditions by their cost itself, but the statistics
    line counts these members inside a CASE, where it evaluates them as written. There, at
    the 50,000-member union, looking up every active member's enrolment before asking
    whether he is 待确认 at all took about a third of the statement's time."""
    active, not_retired, not_holding = _open_in(year, date(year, 1, 1))
    return [
        Member.org_id == org_id,
        active,
        Member.insurance_status == InsuranceStatus.TO_CONFIRM,
        not_retired,
        not_holding,
        ~confirmed(year),
        or_(Member.id_type == rules.ID_CARD, carded()),  # in either channel
    ]


def year_start_utc(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)


# --- the one-plan rule -----------------------------------------------------------------
def fix_union_plan(org: Org, year: int, plan: CoveragePlan, kind: EnrolmentKind) -> None:
    """同一保障年度只能选择一个保障类型: the first submission fixes the union's plan.

    Insert inside a SAVEPOINT: under concurrency the second inserter waits for the first to
    commit, fails on the key, and re-reads the winner's choice."""
    choice = db.session.get(UnionPlanChoice, (org.id, year))
    if choice is None:
        try:
            with savepoint():
                db.session.add(
                    UnionPlanChoice(org_id=org.id, year=year, plan_id=plan.id, fixed_by_kind=kind)
                )
        except IntegrityError:
            pass
        choice = db.session.execute(
            select(UnionPlanChoice)
            .where(UnionPlanChoice.org_id == org.id, UnionPlanChoice.year == year)
            .execution_options(populate_existing=True)
        ).scalar_one()
    message = plan_conflict(choice, plan)
    if message:
        raise Conflict(message)


def plan_conflict(choice: UnionPlanChoice | None, plan: CoveragePlan) -> str | None:
    """Why ``plan`` cannot be chosen: the year's plan was fixed otherwise (None if it can)."""
    if choice is None or choice.plan_id == plan.id:
        return None
    fixed = db.session.get(CoveragePlan, choice.plan_id)
    return (
        f"本年度本单位已选择保障类型：{fixed.name}（由{choice.fixed_by_kind.value}首次提交确定），"
        "同一保障年度只能选择一个保障类型"
    )


def union_plan_choice(org_id: int, year: int) -> UnionPlanChoice | None:
    return db.session.get(UnionPlanChoice, (org_id, year))


def union_plan(org_id: int, year: int) -> CoveragePlan | None:
    choice = union_plan_choice(org_id, year)
    return db.session.get(CoveragePlan, choice.plan_id) if choice else None


# --- bulk creation ---------------------------------------------------------------------
CONCURRENT = "部分会员已被其他提交加入参保，请刷新后重试"


def create_submission(
    scope: Scope | None,
    org: Org,
    *,
    year: int,
    plan: CoveragePlan,
    kind: EnrolmentKind,
    coverage: rules.Coverage,
    shares: rules.Shares,
    conditions: list,
    expected: int | None = None,
) -> UnitSubmission:
    """One UnitSubmission (区局确认中) and an Enrolment for every member matching
    ``conditions``, written by one ``INSERT … SELECT`` (no member rows travel to Python).

    ``expected``: the number of members the clerk ticked; fewer matching rows means some are
    no longer eligible, and nothing is written. A concurrent submission holding some of the
    same members makes the insert fail on ``(year, holding_member_id)``: nothing is written
    and the clerk is told to refresh."""
    district = district_of(org)
    if district is None:
        raise ValidationFailed("该工会不属于任何区局(产业)工会，无法提交参保")
    now = utcnow()
    try:
        with savepoint():
            submission = UnitSubmission(
                org_id=org.id,
                district_id=district.id,
                year=year,
                plan_id=plan.id,
                kind=kind,
                status=SubmissionStatus.SUBMITTED,
                submitted_by_name=scope.account_name if scope else None,
                submitted_at=now,
            )
            db.session.add(submission)
            db.session.flush()
            count = _insert_enrolments(
                submission, org, year, plan, kind, coverage, shares, conditions, now
            )
            if expected is not None and count != expected:
                raise ValidationFailed(
                    f"选中的 {expected} 人中有 {expected - count} 人已不符合参保条件"
                    "（已参保、状态变化或不在本单位），请刷新列表后重新勾选"
                )
            if count == 0:
                raise Conflict("没有可参保的会员，请刷新列表后重试")
            totals = shares.times(count)
            submission.member_count = count
            submission.fee_total = totals.fee
            submission.city_total = totals.city
            submission.district_total = totals.district
            submission.grassroots_total = totals.grassroots
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(CONCURRENT) from exc
    return submission


def _insert_enrolments(submission, org, year, plan, kind, coverage, shares, conditions, now):
    c = Enrolment.__table__.c

    def lit(column, value):
        return literal(value, type_=column.type)

    values = {
        "org_id": org.id,
        "year": year,
        "plan_id": plan.id,
        "kind": kind,
        "status": EnrolmentStatus.SUBMITTED,
        "start_date": coverage.start,
        "end_date": coverage.end,
        "half_year": coverage.half_year,
        "fee": shares.fee,
        "city_share": shares.city,
        "district_share": shares.district,
        "grassroots_share": shares.grassroots,
        "individual_share": shares.individual,
        "submission_id": submission.id,
        "status_changed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    columns = ["member_id", "holding_member_id", *values]
    # First the ids (one indexed query), then the insert by id. Inserting straight from the
    # eligibility query would re-check "not enrolled" against the table being filled, row
    # by row (quadratic on PostgreSQL). A concurrent submission of the same members still
    # fails on the unique (year, holding_member_id).
    ids = list(db.session.scalars(select(Member.id).where(*conditions).order_by(Member.id)))
    table = Enrolment.__table__
    step = len(ids) if is_postgres() else 10_000  # SQLite: at most 32,766 parameters
    for i in range(0, len(ids), step or 1):
        chosen = select(
            Member.id, Member.id, *(lit(c[k], v).label(k) for k, v in values.items())
        ).where(among(Member.id, ids[i : i + step]))
        db.session.execute(insert(table).from_select(columns, chosen))
    return len(ids)
