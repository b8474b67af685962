"""China's statutory retirement ages, with the gradual raise effective 2025-01-01.

Source: 全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13) and
its annexed tables. The raise is decided by birth month and applies to people whose
*original* retirement falls in or after January 2025; earlier cohorts keep the original age.

- 男职工, original 60: born 1964-12 or earlier 60; born 1965-01..04 60y1m, then +1 month
  every 4 birth months; 63 for those born 1976-09 or later.
- 女职工 (原50岁): born 1974-12 or earlier 50; born 1975-01..02 50y1m, then +1 month every
  2 birth months; 55 for those born 1984-11 or later.
- 女干部 (原55岁): born 1969-12 or earlier 55; born 1970-01..04 55y1m, then +1 month every
  4 birth months; 58 for those born 1981-09 or later.

Derivation: cohort k (k = 0, 1, ...) is the k-th block of ``step`` birth months from the
first raised month and retires ``k + 1`` months late, capped at the maximum raise. Men:
the cap of 36 months is first reached at k = 35, i.e. 35 * 4 = 140 months after 1965-01,
which is 1976-09 (the annex table: "1976年9月及以后 63岁"). Women-50: cap 60 at k = 59,
118 months after 1975-01 = 1984-11. Women-55: cap 36 at k = 35, 140 months after
1970-01 = 1981-09.

The retirement *date* is the day the person reaches the (raised) age: birth date plus the
years and months, clamped to the last day of the month when that day does not exist
(born 02-29 -> 02-28 in a common year; born 1970-01-31 + 55y1m -> 2025-02-28).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "RetirementCategory",
    "category_for",
    "reaches_retirement_before",
    "retirement_age",
    "retirement_date",
]


class RetirementCategory(StrEnum):
    MALE = "男职工（60岁）"
    FEMALE_WORKER = "女职工（50岁）"
    FEMALE_CADRE = "女干部（55岁）"


@dataclass(frozen=True, slots=True)
class _Rule:
    original_years: int
    first_raised: tuple[int, int]  # (year, month) of the first birth month that is raised
    step_months: int  # birth months per month of raise
    max_raise_months: int


_RULES: dict[RetirementCategory, _Rule] = {
    RetirementCategory.MALE: _Rule(60, (1965, 1), 4, 36),
    RetirementCategory.FEMALE_WORKER: _Rule(50, (1975, 1), 2, 60),
    RetirementCategory.FEMALE_CADRE: _Rule(55, (1970, 1), 4, 36),
}


def _month_index(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def _raise_months(birth: date, rule: _Rule) -> int:
    offset = _month_index(birth.year, birth.month) - _month_index(*rule.first_raised)
    if offset < 0:
        return 0
    return min(offset // rule.step_months + 1, rule.max_raise_months)


def retirement_age(birth: date, category: RetirementCategory) -> tuple[int, int]:
    """The statutory retirement age as ``(years, months)`` for someone born on ``birth``."""
    rule = _RULES[RetirementCategory(category)]
    extra = _raise_months(birth, rule)
    return rule.original_years + extra // 12, extra % 12


def _add_months(day: date, months: int) -> date:
    index = _month_index(day.year, day.month) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def retirement_date(birth: date, category: RetirementCategory) -> date:
    """The day the person reaches the statutory retirement age (month-end clamped)."""
    years, months = retirement_age(birth, category)
    return _add_months(birth, years * 12 + months)


def category_for(gender: str, *, female_cadre: bool = False) -> RetirementCategory:
    """The category for a member's gender ("男"/"女").

    The register does not record whether a woman is a worker (original age 50) or a
    cadre (55), so women default to the earlier, 50-year category unless
    ``female_cadre`` is set: this module drives a *warning* to the clerk, and a warning
    that comes early (and can be dismissed) is better than one that comes too late and
    lets a retiree be enrolled without cover.
    """
    value = gender.strip() if isinstance(gender, str) else gender
    if value == "男":
        return RetirementCategory.MALE
    if value == "女":
        return RetirementCategory.FEMALE_CADRE if female_cadre else RetirementCategory.FEMALE_WORKER
    raise ValueError(f"unknown gender: {gender!r} (expected 男 or 女)")


def reaches_retirement_before(
    birth: date, gender: str, cutoff: date, *, female_cadre: bool = False
) -> bool:
    """Whether the member reaches retirement age strictly before ``cutoff``.

    With ``cutoff`` = 1 January of the coverage year this matches the exclusion
    "1月1日前(不含当日)的退休人员": retiring on 1 January itself is not excluded.
    """
    category = category_for(gender, female_cadre=female_cadre)
    return retirement_date(birth, category) < cutoff
