"""保障类型、保障金额设置、集中参保时间设置: plans (职保中心), district splits, campaigns.

Plans and campaigns belong to the city union and are managed by 职保中心 (a city account with
``plan.manage``). A district (区局(产业)工会) may set its own split of a plan for its subtree
inside the campaign's settings window; the city's share never changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import chinese_calendar
from flask import current_app, has_app_context
from sqlalchemy import exists, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..members import idcard
from ..orgs.models import Org, OrgLevel
from ..workdays import is_workday
from . import rules
from .models import Campaign, CoveragePlan, Enrolment, PlanSplit
from .rules import Shares, fmt_date

PLAN_AMOUNTS = (
    "fee",
    "half_year_fee",
    "city_share",
    "district_share",
    "grassroots_share",
    "individual_share",
)
PLAN_FIELDS = ("year", "name", *PLAN_AMOUNTS, "valid_from", "valid_to", "active")
WEEKDAYS = "一二三四五六日"


def _j(values: dict) -> dict:
    """Amounts as text for the audit log's JSON."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def today() -> date:
    return idcard.today_in_china()


# --- orgs ------------------------------------------------------------------------------
def district_of(org: Org) -> Org | None:
    """The 区局(产业)工会 above (or being) ``org``; None for the city."""
    if org.level == OrgLevel.DISTRICT:
        return org
    ids = org.ancestor_ids()
    if not ids:
        return None
    return db.session.scalar(select(Org).where(Org.id.in_(ids), Org.level == OrgLevel.DISTRICT))


def _require_city(scope: Scope) -> Org:
    org = db.session.get(Org, scope.org_id)
    if org is None or org.level != OrgLevel.CITY:
        raise PermissionDenied("只有市总工会职保中心可以设置保障类型和集中参保时间")
    return org


# --- plans -----------------------------------------------------------------------------
def _validate_plan(data: dict) -> None:
    errors = rules.check_plan_amounts(
        data["fee"],
        data["city_share"],
        data["district_share"],
        data["grassroots_share"],
        data["individual_share"],
        data.get("half_year_fee"),
    )
    if data["valid_from"] >= data["valid_to"]:
        errors["valid_to"] = "有效期结束应晚于有效期开始"
    if errors:
        raise ValidationFailed("保障类型设置有误，请按提示修改", errors)


def _unique_name(year: int, name: str, exclude_id: int | None = None) -> None:
    stmt = select(CoveragePlan.id).where(CoveragePlan.year == year, CoveragePlan.name == name)
    if exclude_id:
        stmt = stmt.where(CoveragePlan.id != exclude_id)
    if db.session.scalar(stmt):
        raise Conflict(f"{year}年度已有名为“{name}”的保障类型，请换一个名称")


def create_plan(scope: Scope, data: dict, *, ip=None) -> CoveragePlan:
    city = _require_city(scope)
    data = {k: data.get(k) for k in PLAN_FIELDS} | {"active": data.get("active", True)}
    for key in PLAN_AMOUNTS:
        if data[key] is not None:
            data[key] = rules.cents(data[key]) if rules.has_two_places(data[key]) else data[key]
    _validate_plan(data)
    _unique_name(data["year"], data["name"])
    plan = CoveragePlan(org_id=city.id, updated_by_name=scope.account_name, **data)
    db.session.add(plan)
    db.session.flush()
    audit.record(
        scope, "insurance.plan_create", target_type="coverage_plan", target_ids=[plan.id], ip=ip
    )
    return plan


def _used(plan_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Enrolment.plan_id == plan_id))))


def update_plan(scope: Scope, plan_id: int, data: dict, *, ip=None) -> CoveragePlan:
    plan = scope.get(CoveragePlan, plan_id, message="未找到该保障类型")
    before = {k: getattr(plan, k) for k in PLAN_FIELDS}
    merged = before | {k: v for k, v in data.items() if k in PLAN_FIELDS}
    _validate_plan(merged)
    changed = {k for k in PLAN_FIELDS if merged[k] != before[k]}
    if changed & {*PLAN_AMOUNTS, "year"} and _used(plan.id):
        raise Conflict("该保障类型已有会员参保，不能再修改保障年度和金额；如需调整请新增保障类型")
    if "name" in changed or "year" in changed:
        _unique_name(merged["year"], merged["name"], plan.id)
    for key in changed:
        setattr(plan, key, merged[key])
    plan.updated_by_name = scope.account_name
    db.session.flush()
    audit.record(
        scope,
        "insurance.plan_update",
        target_type="coverage_plan",
        target_ids=[plan.id],
        changes=audit.changes_between(_j(before), _j({k: merged[k] for k in changed})),
        ip=ip,
    )
    return plan


def get_plan(plan_id: int, year: int | None = None) -> CoveragePlan:
    """A plan by id (plans are public to every union: no scope)."""
    plan = db.session.get(CoveragePlan, plan_id)
    if plan is None or (year is not None and plan.year != year):
        raise NotFound("未找到该保障类型，请刷新后重新选择")
    return plan


def plans_for(year: int | None = None, *, active_only: bool = False) -> list[CoveragePlan]:
    stmt = select(CoveragePlan).order_by(CoveragePlan.year.desc(), CoveragePlan.id)
    if year is not None:
        stmt = stmt.where(CoveragePlan.year == year)
    if active_only:
        stmt = stmt.where(CoveragePlan.active.is_(True))
    return list(db.session.scalars(stmt))


def _split_of(plan: CoveragePlan, district: Org | None) -> PlanSplit | None:
    if district is None:
        return None
    return db.session.scalar(
        select(PlanSplit).where(PlanSplit.plan_id == plan.id, PlanSplit.org_id == district.id)
    )


def effective_shares(plan: CoveragePlan, org: Org, *, half_year: bool = False) -> Shares:
    """The shares a unit under ``org`` pays for ``plan``: its district's split, else the plan's."""
    return rules.plan_shares(plan, _split_of(plan, district_of(org)), half_year=half_year)


def list_plans(scope: Scope, year: int | None = None) -> list[dict]:
    """Every plan (of ``year``) with the split that applies to the caller's org."""
    org = scope.get_org(scope.org_id)
    district = district_of(org)
    out = []
    for plan in plans_for(year):
        split = _split_of(plan, district)
        shares = rules.plan_shares(plan, split)
        out.append({"plan": plan, "shares": shares, "split_set": split is not None})
    return out


# --- district splits -------------------------------------------------------------------
def _require_district(scope: Scope) -> Org:
    org = scope.get_org(scope.org_id)
    if org.level != OrgLevel.DISTRICT:
        raise PermissionDenied("只有区局(产业)工会可以设置本区局的保障金额")
    return org


def get_split(scope: Scope, plan_id: int) -> dict:
    org = scope.get_org(scope.org_id)
    plan = get_plan(plan_id)
    split = _split_of(plan, district_of(org))
    return {"plan": plan, "shares": rules.plan_shares(plan, split), "split_set": bool(split)}


def set_split(scope: Scope, plan_id: int, district_share, grassroots_share, *, ip=None) -> dict:
    district = _require_district(scope)
    plan = get_plan(plan_id)
    campaign = db.session.scalar(select(Campaign).where(Campaign.year == plan.year))
    if campaign is None:
        raise Conflict(f"{plan.year}年度集中参保尚未开启，暂不能设置保障金额")
    rules.require_window(
        today(), campaign.split_from, campaign.split_to, "保障金额设置", short="设置"
    )
    errors = rules.check_split(plan, district_share, grassroots_share)
    if errors:
        raise ValidationFailed("保障金额设置有误，请按提示修改", errors)
    split = _split_of(plan, district)
    before = (
        {"district_share": split.district_share, "grassroots_share": split.grassroots_share}
        if split
        else {"district_share": plan.district_share, "grassroots_share": plan.grassroots_share}
    )
    if split is None:
        split = PlanSplit(plan_id=plan.id, org_id=district.id)
        db.session.add(split)
    split.district_share = rules.cents(district_share)
    split.grassroots_share = rules.cents(grassroots_share)
    split.updated_by_name = scope.account_name
    db.session.flush()
    audit.record(
        scope,
        "insurance.split_set",
        target_type="coverage_plan",
        target_ids=[plan.id],
        changes=audit.changes_between(
            _j(before),
            _j(
                {"district_share": split.district_share, "grassroots_share": split.grassroots_share}
            ),
        ),
        ip=ip,
    )
    return {"plan": plan, "shares": rules.plan_shares(plan, split), "split_set": True}


# --- campaigns -------------------------------------------------------------------------
CAMPAIGN_DATES = (
    "split_from",
    "split_to",
    "unit_from",
    "unit_to",
    "payment_deadline",
    "district_from",
    "district_to",
)
MUST_BE_WORKDAYS = {
    "split_to": "保障金额设置截止日",
    "unit_to": "基层单位提交截止日",
    "payment_deadline": "参保费用划款截止日",
    "district_to": "区局提交截止日",
}


def not_workday_reason(day: date) -> str:
    holidays = set(current_app.config.get("EXTRA_HOLIDAYS", ())) if has_app_context() else set()
    if day.isoformat() in holidays:
        return "法定节假日"
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        on_holiday, name = False, None
    if on_holiday and name:
        holiday = next((h for h in chinese_calendar.Holiday if h.value == name), None)
        return f"法定节假日（{holiday.chinese if holiday else name}）"
    return f"周{WEEKDAYS[day.weekday()]}，非工作日"


def _validate_campaign(year: int, d: dict) -> None:
    errors = {}
    if d["split_from"] > d["split_to"]:
        errors["split_to"] = "保障金额设置结束日不能早于开始日"
    if d["unit_from"] > d["unit_to"]:
        errors["unit_to"] = "基层单位提交结束日不能早于开始日"
    if d["split_to"] > d["unit_to"]:
        errors["split_to"] = "保障金额设置应在基层单位提交结束前完成"
    if d["payment_deadline"] < d["unit_to"]:
        errors["payment_deadline"] = "划款截止日不能早于基层单位提交结束日"
    if d["district_from"] > d["district_to"]:
        errors["district_to"] = "区局提交结束日不能早于开始日"
    if d["district_from"] < d["unit_to"]:
        errors["district_from"] = "区局提交应在基层单位提交结束后（或当日）开始"
    last = date(year - 1, 12, 31)
    for key in CAMPAIGN_DATES:
        if key not in errors and d[key] > last:
            errors[key] = f"集中参保的各项时间应在保障年度开始前（{fmt_date(last)}及以前）"
    for key, label in MUST_BE_WORKDAYS.items():
        if key not in errors and not is_workday(d[key]):
            errors[key] = f"{label}{fmt_date(d[key])}为{not_workday_reason(d[key])}，请选择工作日"
    if errors:
        first = next(iter(errors.values()))
        raise ValidationFailed(f"集中参保时间设置有误：{first}", errors)


def create_campaign(scope: Scope, data: dict, *, ip=None) -> Campaign:
    city = _require_city(scope)
    year = data["year"]
    dates = {k: data[k] for k in CAMPAIGN_DATES}
    _validate_campaign(year, dates)
    if db.session.scalar(select(Campaign.id).where(Campaign.year == year)):
        raise Conflict(f"{year}年度集中参保已开启，请修改已有的时间设置")
    campaign = Campaign(org_id=city.id, year=year, opened_by_name=scope.account_name, **dates)
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        scope,
        "insurance.campaign_open",
        target_type="insurance_campaign",
        target_ids=[campaign.id],
        detail={k: v.isoformat() for k, v in dates.items()} | {"year": year},
        ip=ip,
    )
    return campaign


def update_campaign(scope: Scope, campaign_id: int, data: dict, *, ip=None) -> Campaign:
    campaign = scope.get(Campaign, campaign_id, message="未找到该集中参保")
    before = {k: getattr(campaign, k) for k in CAMPAIGN_DATES}
    merged = before | {k: data[k] for k in CAMPAIGN_DATES if data.get(k) is not None}
    _validate_campaign(campaign.year, merged)
    for key, value in merged.items():
        setattr(campaign, key, value)
    db.session.flush()
    audit.record(
        scope,
        "insurance.campaign_update",
        target_type="insurance_campaign",
        target_ids=[campaign.id],
        changes=audit.changes_between(before, merged),
        ip=ip,
    )
    return campaign


def list_campaigns(year: int | None = None) -> list[Campaign]:
    stmt = select(Campaign).order_by(Campaign.year.desc())
    if year is not None:
        stmt = stmt.where(Campaign.year == year)
    return list(db.session.scalars(stmt))


def window_state(day: date, start: date, end: date) -> dict:
    """Where ``day`` stands in one window: open, or not yet (days to wait), or over."""
    if rules.in_window(day, start, end):
        return {"state": "进行中", "days_left": (end - day).days + 1, "days_to_start": 0}
    if day < start:
        return {"state": "未开始", "days_left": None, "days_to_start": (start - day).days}
    return {"state": "已结束", "days_left": None, "days_to_start": None}


def campaign_state(campaign: Campaign) -> dict:
    """The campaign with today's place in its windows (the console shows, the API enforces)."""
    day = today()
    values = {k: getattr(campaign, k) for k in ("id", "year", "opened_by_name", "updated_at")}
    values |= {k: getattr(campaign, k) for k in CAMPAIGN_DATES}
    values["today"] = day
    values["split_window"] = window_state(day, campaign.split_from, campaign.split_to)
    values["unit_window"] = window_state(day, campaign.unit_from, campaign.unit_to)
    values["district_window"] = window_state(day, campaign.district_from, campaign.district_to)
    return values


def campaign_for(year: int) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.year == year))
    if campaign is None:
        raise Conflict(f"{year}年度集中参保尚未开启，请等待职保中心通知")
    return campaign
