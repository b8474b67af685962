"""集中参保 by a grassroots union: statistics, 待确认名单, the card channel's list, retirement
warnings, the confirmation screen (参保确认画面) and the submission to the district.

Counting and listing happen in SQL (one aggregate query for the statistics line, one
``INSERT … SELECT`` for a submission): a union of 50,000 members costs no Python loop.
"""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import Integer, and_, bindparam, case, func, insert, literal, or_, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..bulk import among
from ..cards.models import MemberCard
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..members.idcard import normalise_id_number, normalise_text
from ..members.models import Member, MemberStatus
from ..members.search import name_matches
from ..models_base import utcnow
from ..security.crypto import blind_index
from . import enrolling as e
from . import notices, plans, rules
from .models import (
    COLLECTIVE_KINDS,
    CollectiveConfirmation,
    Enrolment,
    EnrolmentKind,
    UnitSubmission,
)
from .rules import fmt_date

COUNTED = (
    MemberStatus.ACTIVE,
    MemberStatus.TRANSFERRING,
    MemberStatus.RETIRED,
    MemberStatus.DECEASED,
)


@functools.lru_cache(maxsize=32)
def retiring_by_birth(year: int):
    """Reaches statutory retirement before 1 January ``year`` by birth date (retirement.py);
    built once per year (an immutable expression)."""
    cutoff = date(year, 1, 1)
    men = rules.latest_birth_retiring_before("男", cutoff)
    women = rules.latest_birth_retiring_before("女", cutoff)
    return or_(
        and_(Member.gender == "男", Member.birth_date <= men),
        and_(Member.gender == "女", Member.birth_date <= women),
    )


@functools.lru_cache(maxsize=32)
def warning_column(year: int):
    return case((retiring_by_birth(year), literal(True)), else_=literal(False)).label(
        "retirement_warning"
    )


# --- statistics ------------------------------------------------------------------------
def stats(scope: Scope, org_id: int | None, year: int) -> dict:
    """会员总人数、有卡总会员数、集中参保已提交人数、未办卡人数、退休人数、死亡人数、待确认人数."""
    org = e.union_of(scope, org_id)
    return _stats(org.id, year)


@functools.lru_cache(maxsize=16)
def _stats_statement(year: int):
    """The statistics line for ``year`` as one statement, the union's id bound at each call.

    Built once per year: at a small union, building this select (some hundred clauses) cost
    more than the database took to answer it. The enrolments already submitted come back as
    a scalar subquery of the same statement (one round trip, not two)."""
    org_id = bindparam("org_id", type_=Integer)
    cutoff = date(year, 1, 1)
    has_card = MemberCard.status.in_(rules.CARDED)
    retired = or_(
        Member.status == MemberStatus.RETIRED,
        and_(Member.status == MemberStatus.ACTIVE, Member.retired_on < cutoff),
    )
    waiting = and_(*e.to_confirm(org_id, year))

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    submitted = (
        select(func.count(Enrolment.id))
        .where(
            Enrolment.org_id == org_id,
            Enrolment.year == year,
            Enrolment.kind.in_(COLLECTIVE_KINDS),
            Enrolment.holding_member_id.is_not(None),
        )
        .scalar_subquery()
    )
    return (
        select(
            func.count(Member.id),
            n(has_card),
            n(retired),
            n(Member.status == MemberStatus.DECEASED),
            n(waiting),
            submitted,
        )
        .select_from(Member)
        # the card's own org_id too (a member never changes union): the union's cards come
        # from the (org_id, status) index instead of a scan of every card in the city
        .outerjoin(MemberCard, and_(MemberCard.member_id == Member.id, MemberCard.org_id == org_id))
        .where(Member.org_id == org_id, Member.status.in_(COUNTED))
    )


def _stats(org_id: int, year: int) -> dict:
    row = db.session.execute(_stats_statement(year), {"org_id": org_id}).one()
    total, with_card, retired_n, dead, to_confirm_n, submitted = (int(x or 0) for x in row)
    return {
        "year": year,
        "total": total,
        "with_card": with_card,
        "submitted": submitted,
        "without_card": total - with_card,
        "retired": retired_n,
        "deceased": dead,
        "to_confirm": to_confirm_n,
    }


def stats_line(s: dict) -> str:
    return (
        f"会员总人数：{s['total']}人。有卡总会员数：{s['with_card']}人。"
        f"集中参保已提交人数：{s['submitted']}人。未办卡人数：{s['without_card']}人。"
        f"退休人数：{s['retired']}人。死亡人数：{s['deceased']}人。待确认人数：{s['to_confirm']}人。"
    )


# --- lists -----------------------------------------------------------------------------
def _filtered(stmt, f: dict):
    if f.get("name"):
        stmt = stmt.where(name_matches(f["name"]))
    if f.get("member_no"):
        stmt = stmt.where(Member.member_no == normalise_text(f["member_no"]))
    if f.get("id_number"):
        bidx = blind_index("id_number", normalise_id_number(f["id_number"]))
        stmt = stmt.where(Member.id_number_bidx == bidx)
    return stmt


def to_confirm_list(scope: Scope, org_id: int | None, year: int, f: dict | None = None):
    """集中参保待确认名单: rows of (Member, retirement_warning, year)."""
    org = e.union_of(scope, org_id)
    stmt = (
        select(Member, warning_column(year), literal(year).label("year"))
        .where(*e.to_confirm(org.id, year))
        .order_by(Member.id)
    )
    return _filtered(stmt, f or {})


def confirm(scope: Scope, org_id: int | None, year: int, member_id: int, *, ip=None) -> int:
    """Confirm one member (确认): they join the year's list and cannot be removed."""
    org = e.union_of(scope, org_id)
    member = db.session.scalar(
        select(Member).where(Member.id == member_id, *e.to_confirm(org.id, year))
    )
    if member is None:
        if db.session.scalar(
            select(CollectiveConfirmation.id).where(
                CollectiveConfirmation.member_id == member_id, CollectiveConfirmation.year == year
            )
        ):
            raise Conflict("该会员已确认，无需重复确认")
        raise NotFound("待确认名单中没有该会员，请刷新后重试")
    return _confirm_where(scope, org, year, [Member.id == member.id], ip=ip)


def confirm_all(scope: Scope, org_id: int | None, year: int, *, ip=None) -> int:
    """全部确认."""
    org = e.union_of(scope, org_id)
    return _confirm_where(scope, org, year, [], ip=ip)


def _confirm_where(scope, org, year, extra, *, ip) -> int:
    now = utcnow()
    chosen = select(
        Member.id,
        literal(org.id),
        literal(year),
        literal(scope.account_name),
        literal(now, type_=CollectiveConfirmation.__table__.c.confirmed_at.type),
    ).where(*e.to_confirm(org.id, year), *extra)
    table = CollectiveConfirmation.__table__
    columns = ["member_id", "org_id", "year", "confirmed_by_name", "confirmed_at"]
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … SELECT built by SQLAlchemy
    stmt = insert(table).from_select(columns, chosen).returning(table.c.id)
    count = len(db.session.execute(stmt).all())
    if count == 0:
        raise Conflict("待确认名单中没有需要确认的会员")
    audit.record(
        scope,
        "insurance.confirm",
        target_type="org",
        target_ids=[org.id],
        detail={"year": year, "count": count},
        ip=ip,
    )
    return count


def eligible_list(scope: Scope, org_id: int | None, year: int, f: dict | None = None):
    """会员卡参保可参保名单: rows of (Member, MemberCard, retirement_warning, year)."""
    org = e.union_of(scope, org_id)
    stmt = (
        select(Member, MemberCard, warning_column(year), literal(year).label("year"))
        .join(MemberCard, MemberCard.member_id == Member.id)
        .where(*e.card_eligible(org.id, year, joined_card=True))
        .order_by(Member.id)
    )
    f = f or {}
    if f.get("retirement_warning") is not None:
        cond = retiring_by_birth(year)
        stmt = stmt.where(cond if f["retirement_warning"] else ~cond)
    return _filtered(stmt, f)


def retirement_warnings(scope: Scope, org_id: int | None, year: int):
    """Members of either channel's lists who reach retirement age before 1 January by birth
    date although the register has not reported them retired: rows of (Member, MemberCard|None,
    retirement_warning, year)."""
    org = e.union_of(scope, org_id)
    in_lists = or_(
        and_(e.carded(), e.insurance_ok(year)), and_(Member.id_type == rules.ID_CARD, ~e.carded())
    )
    return (
        select(Member, MemberCard, warning_column(year), literal(year).label("year"))
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .where(*e.open_members(org.id, year), in_lists, retiring_by_birth(year))
        .order_by(Member.birth_date, Member.id)
    )


# --- confirmation screen and submission ------------------------------------------------
def _conditions(org_id, year, kind, member_ids, exclude_ids) -> tuple[list, int | None]:
    if kind == EnrolmentKind.CARD:
        conds = e.card_eligible(org_id, year)
        if member_ids:
            conds.append(among(Member.id, member_ids))
        if exclude_ids:
            conds.append(~among(Member.id, exclude_ids))
        return conds, len(set(member_ids)) if member_ids else None
    if kind == EnrolmentKind.SOCIAL:
        if not member_ids:
            raise ValidationFailed(
                "请在“待提交”列表中勾选要参保的会员", {"member_ids": "请勾选会员"}
            )
        ids = set(member_ids) - set(exclude_ids or ())
        return [*e.social_to_submit(org_id, year), among(Member.id, ids)], len(ids)
    raise ValidationFailed("集中参保的参保类型只能是会员卡参保或社保卡参保")


def important_notice(year: int) -> str:
    return (
        f"【重要提示】各单位请注意：{year}年1月1日前（不含当日）的退休人员均不属于本次集中参保"
        f"《{year}年上海工会会员专享基本保障》的保障范围。目前系统内显示的会员比对结果，只标灰排除了"
        "人保库已报告的退休人员，并按出生日期提示了年底前将达到法定退休年龄的会员，需经办人员仔细甄别"
        "手动排除。由于系统无法识别，若有经办人员为不符条件的退休人员办理保障，则将不予给付。"
    )


def preview(
    scope: Scope,
    org_id: int | None,
    *,
    kind,
    plan_id: int,
    year: int,
    member_ids=None,
    exclude_member_ids=None,
) -> dict:
    """参保确认画面: plan, count, fee and its split, deadline, coverage, 【重要提示】."""
    org = e.union_of(scope, org_id)
    kind = EnrolmentKind(kind)
    campaign = plans.campaign_for(year)
    plan = plans.get_plan(plan_id, year)
    conds, expected = _conditions(org.id, year, kind, member_ids, exclude_member_ids)
    count = db.session.scalar(select(func.count(Member.id)).where(*conds)) or 0
    shares = plans.effective_shares(plan, org)
    totals = shares.times(count)
    coverage = rules.collective_coverage(year)
    choice = e.union_plan_choice(org.id, year)
    fixed = choice.plan if choice else None
    conflict = e.plan_conflict(choice, plan)
    s = _stats(org.id, year)
    return {
        "org_id": org.id,
        "year": year,
        "kind": kind.value,
        "plan_id": plan.id,
        "plan_name": plan.name,
        "count": count,
        "not_eligible": (expected - count) if expected is not None else 0,
        "shares": shares.as_dict(),
        "totals": totals.as_dict(),
        "payment_deadline": campaign.payment_deadline,
        "start_date": coverage.start,
        "end_date": coverage.end,
        "unit_from": campaign.unit_from,
        "unit_to": campaign.unit_to,
        "in_window": rules.in_window(plans.today(), campaign.unit_from, campaign.unit_to),
        "fixed_plan_name": fixed.name if fixed else None,
        "fixed_plan_id": fixed.id if fixed else None,
        "fixed_by_kind": choice.fixed_by_kind.value if choice else None,
        "plan_conflict": conflict,
        "summary": (
            f"保障年度：{year}年。可参保人数：{count}人。——保障费用：{totals.fee}元；"
            f"市总统一划拨：{totals.city}元；区局/各级工会缴费：{totals.district}元；"
            f"基层单位缴费：{totals.grassroots}元。"
        ),
        "payment_text": (
            f"请于{fmt_date(campaign.payment_deadline)}之前，将对应的参保费用划入所属区局（产业）工会账户，"
            f"保障日期为{fmt_date(coverage.start)}起至{fmt_date(coverage.end)}止。逾期未划款，则所有参保均失败，"
            "需按照即时参保流程另行办理参保手续，保障日期自办理参保日的次日起至"
            f"{fmt_date(coverage.end)}止。"
        ),
        "important": important_notice(year),
        "stats": s,
        "stats_line": stats_line(s),
        "confirm_text": conflict or f"您选择的保障类型为：{plan.name}，请确认无误后再提交！",
    }


def submit(
    scope: Scope,
    org_id: int | None,
    *,
    kind,
    plan_id: int,
    year: int,
    member_ids=None,
    exclude_member_ids=None,
    ip=None,
) -> UnitSubmission:
    """提交至区局审核 (inside the unit window): fixes the union's plan for the year, creates
    the submission and its enrolments in bulk, and issues the unit notice (告知书)."""
    org = e.union_of(scope, org_id)
    kind = EnrolmentKind(kind)
    campaign = plans.campaign_for(year)
    rules.require_window(plans.today(), campaign.unit_from, campaign.unit_to, "集中参保提交")
    plan = plans.get_plan(plan_id, year)
    if not plan.active:
        raise Conflict(f"保障类型“{plan.name}”已停用，请选择其他保障类型")
    conds, expected = _conditions(org.id, year, kind, member_ids, exclude_member_ids)
    e.fix_union_plan(org, year, plan, kind)
    submission = e.create_submission(
        scope,
        org,
        year=year,
        plan=plan,
        kind=kind,
        coverage=rules.collective_coverage(year),
        shares=plans.effective_shares(plan, org),
        conditions=conds,
        expected=expected,
    )
    notice = notices.issue_unit_notice(submission, scope.account_name, campaign=campaign)
    audit.record(
        scope,
        "insurance.collective_submit",
        target_type="unit_submission",
        target_ids=[submission.id],
        detail={
            "year": year,
            "kind": kind.value,
            "plan_id": plan.id,
            "count": submission.member_count,
            "notice_id": notice.id,
        },
        ip=ip,
    )
    submission.notice = notice  # for the answer
    return submission


def enrolled_members(scope: Scope, submission_id: int):
    """参保人员: rows of (Enrolment, Member, MemberCard|None) of one submission."""
    submission = get_submission(scope, submission_id)
    return (
        select(Enrolment, Member, MemberCard)
        .join(Member, Member.id == Enrolment.member_id)
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .where(Enrolment.submission_id == submission.id)
        .order_by(Enrolment.id)
    )


def get_submission(scope: Scope, submission_id: int) -> UnitSubmission:
    return scope.get(UnitSubmission, submission_id, message="未找到该参保提交记录")


def submissions(scope: Scope, f: dict):
    """参保信息管理: the units' submissions inside the scope."""
    stmt = select(UnitSubmission).where(scope.owned_by(UnitSubmission.org_id))
    if f.get("org_id"):
        stmt = stmt.where(UnitSubmission.org_id == scope.get_org(f["org_id"]).id)
    for key in ("year", "kind", "status"):
        if f.get(key):
            stmt = stmt.where(getattr(UnitSubmission, key) == f[key])
    if f.get("submitted_from"):
        stmt = stmt.where(UnitSubmission.submitted_at >= f["submitted_from"])
    if f.get("submitted_to"):
        stmt = stmt.where(UnitSubmission.submitted_at <= f["submitted_to"])
    return stmt.order_by(UnitSubmission.submitted_at.desc(), UnitSubmission.id.desc())
