"""Insurance rules as pure functions (no database): shares, coverage dates, eligibility, windows.

Money is ``Decimal`` with two places throughout; ``fee == city + district + grassroots +
individual`` holds for every ``Shares`` this module builds.

Half-year rule (半年): coverage that starts after 30 June of its year, under a plan with a
``half_year_fee``, costs that fee. The shares are scaled by ``half_year_fee / fee``: the city's
and the grassroots' (and for an individual the city's) shares are rounded half-up to the cent,
and the district (for an individual: the member) takes the remainder, so the sum is exact;
should rounding make the remainder negative, the cent comes off the grassroots share.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..errors import Conflict
from .retirement import category_for, retirement_date

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# 有卡: card statuses that mean the member holds (or is about to hold) a card.
CARDED = ("已办卡", "已制卡", "已送达单位", "已发放", "已激活")
ID_CARD = "身份证"


def cents(value) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def has_two_places(value: Decimal) -> bool:
    """At most two decimal places (元 and 分): 26, 26.5, 26.05 yes; 26.005 no."""
    return Decimal(value) == Decimal(value).quantize(CENT)


@dataclass(frozen=True)
class Shares:
    """One member's fee and who pays it (保障费用、市总统一划拨、区局/各级工会、基层单位、个人)."""

    fee: Decimal
    city: Decimal
    district: Decimal
    grassroots: Decimal
    individual: Decimal = ZERO

    def __post_init__(self):
        parts = self.city + self.district + self.grassroots + self.individual
        if self.fee != parts:
            raise ValueError(f"shares {parts} do not sum to the fee {self.fee}")

    def times(self, count: int) -> Shares:
        return Shares(
            self.fee * count,
            self.city * count,
            self.district * count,
            self.grassroots * count,
            self.individual * count,
        )

    def as_dict(self) -> dict:
        return {
            "fee": self.fee,
            "city": self.city,
            "district": self.district,
            "grassroots": self.grassroots,
            "individual": self.individual,
        }


def plan_shares(plan, split=None, *, half_year: bool = False) -> Shares:
    """A unit's shares for ``plan``, with a district's ``split`` (district/grassroots) if any.

    A split keeps the city's share; its district + grassroots must equal fee - city."""
    fee, city = cents(plan.fee), cents(plan.city_share)
    district = cents(split.district_share if split else plan.district_share)
    grassroots = cents(split.grassroots_share if split else plan.grassroots_share)
    full = Shares(fee, city, district, grassroots)
    if not half_year or plan.half_year_fee is None:
        return full
    half = cents(plan.half_year_fee)
    ratio = half / fee
    city_h, grass_h = cents(city * ratio), cents(grassroots * ratio)
    district_h = half - city_h - grass_h
    if district_h < 0:
        grass_h += district_h
        district_h = ZERO
    return Shares(half, city_h, district_h, grass_h)


def individual_shares(plan, *, half_year: bool = False) -> Shares:
    """个人参保: the city allocates its share as for a unit; the member pays
    ``plan.individual_share`` (= fee - city, checked on the plan); no district or grassroots
    share. Half year: the city's share scaled to the cent, the member pays the rest."""
    city, own = cents(plan.city_share), cents(plan.individual_share)
    if not half_year or plan.half_year_fee is None:
        return Shares(city + own, city, ZERO, ZERO, own)
    ratio = cents(plan.half_year_fee) / cents(plan.fee)
    city_h = cents(city * ratio)
    own_h = cents(plan.half_year_fee) - city_h
    return Shares(city_h + own_h, city_h, ZERO, ZERO, own_h)


def check_split(plan, district_share, grassroots_share) -> dict:
    """Errors of a district split ({field: message}); empty when valid."""
    errors = {}
    for field, value in (
        ("district_share", district_share),
        ("grassroots_share", grassroots_share),
    ):
        if value < 0:
            errors[field] = "金额不能为负数"
        elif not has_two_places(value):
            errors[field] = "金额最多保留两位小数"
    if not errors:
        rest = cents(plan.fee) - cents(plan.city_share)
        if cents(district_share) + cents(grassroots_share) != rest:
            errors["district_share"] = (
                f"区局/各级工会缴纳与基层单位缴纳之和应为 {rest} 元"
                f"（参保费用 {cents(plan.fee)} 元减去市总统一划拨 {cents(plan.city_share)} 元）"
            )
    return errors


def check_plan_amounts(fee, city, district, grassroots, individual, half_year_fee=None) -> dict:
    """Errors of a plan's amounts ({field: message}); empty when valid."""
    errors = {}
    named = {
        "fee": fee,
        "city_share": city,
        "district_share": district,
        "grassroots_share": grassroots,
        "individual_share": individual,
    }
    if half_year_fee is not None:
        named["half_year_fee"] = half_year_fee
    for field, value in named.items():
        if value < 0:
            errors[field] = "金额不能为负数"
        elif not has_two_places(value):
            errors[field] = "金额最多保留两位小数"
    if errors:
        return errors
    if fee <= 0:
        errors["fee"] = "参保费用应大于 0 元"
    elif city + district + grassroots != fee:
        errors["fee"] = (
            f"参保费用 {cents(fee)} 元应等于市总统一划拨、区局/各级工会默认缴纳与基层单位默认缴纳之和"
            f"（现为 {cents(city + district + grassroots)} 元）"
        )
    elif individual != fee - city:
        # domain §5: alone, the member pays the shares no unit pays for them
        errors["individual_share"] = (
            f"个人参保本人缴纳应为参保费用减去市总统一划拨，即 {cents(fee - city)} 元"
            "（个人参保没有区局和基层单位分担）"
        )
    if half_year_fee is not None and not 0 < half_year_fee <= fee:
        errors["half_year_fee"] = "半年参保费用应大于 0 元且不超过全年参保费用"
    return errors


# --- coverage dates --------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    start: date  # 起保日期
    end: date  # 终保日期
    half_year: bool  # 半年/全年

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def label(self) -> str:
        return "半年" if self.half_year else "全年"


def collective_coverage(year: int) -> Coverage:
    """集中参保: 1 January to 31 December of the coverage year."""
    return Coverage(date(year, 1, 1), date(year, 12, 31), False)


def instant_coverage(today: date, plan=None) -> Coverage:
    """即时参保: from the next day to 31 December of that day's year; 半年 when the start is
    after 30 June and the plan has a half-year fee."""
    start = today + timedelta(days=1)
    half = start > date(start.year, 6, 30) and plan is not None and plan.half_year_fee is not None
    return Coverage(start, date(start.year, 12, 31), half)


def instant_year(today: date) -> int:
    return (today + timedelta(days=1)).year


# --- eligibility -----------------------------------------------------------------------
@dataclass(frozen=True)
class MemberSnapshot:
    """What eligibility looks at (a member with their card and this year's state)."""

    status: str  # 会员状态
    id_type: str
    card_status: str | None  # None: no card row
    insurance_status: str = "正常"  # 人保状态
    social_card_status: str | None = None  # 社保卡状态
    employment_status: str | None = None  # 就业状态
    retired_on: date | None = None  # 人保库退休日期
    enrolled: bool = False  # holds an enrolment for the year
    confirmed: bool = False  # in 集中参保待确认名单, confirmed for the year


def _common_refusal(m: MemberSnapshot, year: int) -> str | None:
    if m.status == "死亡":
        return "会员已死亡"
    if m.status == "退休" or (m.retired_on is not None and m.retired_on < date(year, 1, 1)):
        when = f"（{fmt_date(m.retired_on)}）" if m.retired_on else ""
        return f"会员已于{year}年1月1日前退休{when}，不属于本次集中参保的保障范围"
    if m.status != "正常":
        return f"会员状态为“{m.status}”，只有状态正常的会员可以参保"
    if m.enrolled:
        return f"会员已参加{year}年度保障或有参保正在办理中"
    return None


def card_eligibility(m: MemberSnapshot, year: int) -> tuple[bool, str]:
    """会员卡参保: may the member be submitted in the card channel for ``year``?"""
    refusal = _common_refusal(m, year)
    if refusal:
        return False, refusal
    if m.card_status not in CARDED:
        return False, "会员尚未持有工会会员服务卡，请办卡或通过社保卡参保"
    if m.insurance_status == "待确认" and not m.confirmed:
        return False, "人保状态为待确认，请先在集中参保待确认名单中确认"
    return True, "可参保"


def social_state(m: MemberSnapshot, year: int) -> tuple[str | None, str]:
    """社保卡参保: ``("待提交", …)``, ``("待校验", reason)`` or ``(None, reason)`` when the
    member is not in the social-security channel's lists at all."""
    if m.id_type != ID_CARD:
        return None, "证件类型不是身份证，不能通过社保卡参保"
    if m.card_status in CARDED:
        return None, "已有工会会员服务卡，请通过会员卡参保"
    refusal = _common_refusal(m, year)
    if refusal:
        return None, refusal
    if m.social_card_status is None and m.employment_status is None:
        return "待校验", "尚未获取社保卡和就业状态，请点击“获取社保卡和就业状态”"
    reasons = []
    if m.social_card_status != "正常":
        reasons.append(f"社保卡状态为“{m.social_card_status or '未知'}”")
    if m.employment_status != "在职":
        reasons.append(f"就业状态为“{m.employment_status or '未知'}”")
    if reasons:
        return "待校验", "，".join(reasons) + "，不能通过社保卡参保"
    if m.insurance_status == "待确认" and not m.confirmed:
        return "待校验", "人保状态为待确认，请先在参保待确认名单中确认"
    return "待提交", "可参保"


# --- retirement by birth date ----------------------------------------------------------
def reaches_retirement_before(birth: date, gender: str, cutoff: date) -> bool:
    try:
        return retirement_date(birth, category_for(gender)) < cutoff
    except ValueError:
        return False


def latest_birth_retiring_before(gender: str, cutoff: date) -> date:
    """The latest birth date whose statutory retirement falls before ``cutoff``.

    The retirement date never decreases with the birth date, so for a gender the members
    reaching retirement before ``cutoff`` are exactly those born on or before this day: one
    comparison in SQL instead of a loop over members."""
    category = category_for(gender)
    lo, hi = date(cutoff.year - 80, 1, 1), cutoff  # retirement_date(lo) < cutoff <= (hi)
    while (hi - lo).days > 1:
        mid = lo + timedelta(days=(hi - lo).days // 2)
        if retirement_date(mid, category) < cutoff:
            lo = mid
        else:
            hi = mid
    return lo


# --- windows ---------------------------------------------------------------------------
def fmt_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def in_window(day: date, start: date, end: date) -> bool:
    """Inclusive on both days."""
    return start <= day <= end


def window_refusal(what: str, start: date, end: date, short: str = "提交") -> str:
    """E.g. 集中参保提交时间为2025年10月25日至2025年12月25日，当前不在提交时间内."""
    return f"{what}时间为{fmt_date(start)}至{fmt_date(end)}，当前不在{short}时间内"


def require_window(day: date, start: date, end: date, what: str, short: str = "提交") -> None:
    if not in_window(day, start, end):
        raise Conflict(window_refusal(what, start, end, short))


def year_end(year: int) -> date:
    return date(year, 12, calendar.monthrange(year, 12)[1])
