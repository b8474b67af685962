"""Statutory retirement ages with the 2025 gradual raise (渐进式延迟法定退休年龄)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unioncard.insurance.retirement import (
    RetirementCategory,
    category_for,
    reaches_retirement_before,
    retirement_age,
    retirement_date,
)

M = RetirementCategory.MALE
W50 = RetirementCategory.FEMALE_WORKER
W55 = RetirementCategory.FEMALE_CADRE

# Expected values written by hand from the annex tables of the 2024 NPCSC decision.
AGE_TABLE = [
    # men: 60, +1 month per 4 birth months from 1965-01, max 63 from 1976-09
    (M, date(1950, 6, 15), (60, 0)),
    (M, date(1964, 12, 31), (60, 0)),
    (M, date(1965, 1, 1), (60, 1)),
    (M, date(1965, 4, 30), (60, 1)),
    (M, date(1965, 5, 1), (60, 2)),
    (M, date(1965, 8, 31), (60, 2)),
    (M, date(1965, 9, 1), (60, 3)),
    (M, date(1968, 12, 31), (61, 0)),  # 47 months after 1965-01: 47 // 4 + 1 = 12
    (M, date(1969, 1, 1), (61, 1)),
    (M, date(1976, 5, 1), (62, 11)),
    (M, date(1976, 8, 31), (62, 11)),
    (M, date(1976, 9, 1), (63, 0)),
    (M, date(1976, 12, 31), (63, 0)),
    (M, date(1977, 1, 1), (63, 0)),
    (M, date(1990, 7, 7), (63, 0)),
    # women workers: 50, +1 month per 2 birth months from 1975-01, max 55 from 1984-11
    (W50, date(1974, 12, 31), (50, 0)),
    (W50, date(1975, 1, 1), (50, 1)),
    (W50, date(1975, 2, 28), (50, 1)),
    (W50, date(1975, 3, 1), (50, 2)),
    (W50, date(1975, 4, 30), (50, 2)),
    (W50, date(1975, 5, 1), (50, 3)),
    (W50, date(1976, 11, 30), (51, 0)),  # 22 months after 1975-01: 22 // 2 + 1 = 12
    (W50, date(1984, 9, 30), (54, 11)),
    (W50, date(1984, 10, 31), (54, 11)),
    (W50, date(1984, 11, 1), (55, 0)),
    (W50, date(1984, 12, 1), (55, 0)),
    (W50, date(1995, 3, 3), (55, 0)),
    # women cadres: 55, +1 month per 4 birth months from 1970-01, max 58 from 1981-09
    (W55, date(1969, 12, 31), (55, 0)),
    (W55, date(1970, 1, 1), (55, 1)),
    (W55, date(1970, 4, 30), (55, 1)),
    (W55, date(1970, 5, 1), (55, 2)),
    (W55, date(1981, 5, 1), (57, 11)),
    (W55, date(1981, 8, 31), (57, 11)),
    (W55, date(1981, 9, 1), (58, 0)),
    (W55, date(1981, 10, 1), (58, 0)),
    (W55, date(2000, 1, 1), (58, 0)),
]


@pytest.mark.parametrize(("category", "birth", "expected"), AGE_TABLE)
def test_retirement_age_table(category, birth, expected):
    assert retirement_age(birth, category) == expected


DATE_TABLE = [
    # original age, no raise
    (M, date(1964, 12, 31), date(2024, 12, 31)),
    (W50, date(1974, 12, 31), date(2024, 12, 31)),
    (W55, date(1969, 12, 31), date(2024, 12, 31)),
    # first raised cohort: +1 month
    (M, date(1965, 1, 1), date(2025, 2, 1)),
    (W50, date(1975, 1, 1), date(2025, 2, 1)),
    (W55, date(1970, 1, 1), date(2025, 2, 1)),
    # month-end clamping
    (M, date(1965, 1, 31), date(2025, 2, 28)),
    (W50, date(1975, 1, 31), date(2025, 2, 28)),
    (W55, date(1970, 1, 31), date(2025, 2, 28)),
    (M, date(1965, 3, 31), date(2025, 4, 30)),  # 60y1m
    (M, date(1965, 9, 30), date(2025, 12, 30)),  # 60y3m, no clamp needed
    (W50, date(1975, 7, 31), date(2025, 11, 30)),  # 50y4m
    (W50, date(1975, 12, 31), date(2026, 6, 30)),  # 50y6m
    # 29 February birthdays
    (M, date(1960, 2, 29), date(2020, 2, 29)),  # leap year -> stays 29
    (M, date(1964, 2, 29), date(2024, 2, 29)),
    (W50, date(1972, 2, 29), date(2022, 2, 28)),  # common year -> 28
    (W55, date(1968, 2, 29), date(2023, 2, 28)),
    (M, date(1968, 2, 29), date(2028, 12, 29)),  # 60y10m
    (W50, date(1976, 2, 29), date(2026, 9, 29)),  # 50y7m
    (W55, date(1972, 2, 29), date(2027, 9, 29)),  # 55y7m
    (M, date(1980, 2, 29), date(2043, 2, 28)),  # 63y0m, 2043 is a common year
    # maximum reached
    (M, date(1976, 9, 15), date(2039, 9, 15)),
    (W50, date(1984, 11, 15), date(2039, 11, 15)),
    (W55, date(1981, 9, 15), date(2039, 9, 15)),
]


@pytest.mark.parametrize(("category", "birth", "expected"), DATE_TABLE)
def test_retirement_date_table(category, birth, expected):
    assert retirement_date(birth, category) == expected


def test_category_value_strings_are_accepted():
    assert retirement_age(date(1965, 1, 1), "男职工（60岁）") == (60, 1)


@pytest.mark.parametrize(
    ("gender", "cadre", "expected"),
    [
        ("男", False, M),
        ("男", True, M),  # the cadre flag only matters for women
        ("女", False, W50),  # unknown job type: the earlier age, so the warning comes early
        ("女", True, W55),
        (" 女 ", False, W50),
    ],
)
def test_category_for(gender, cadre, expected):
    assert category_for(gender, female_cadre=cadre) is expected


@pytest.mark.parametrize("gender", ["", "M", "未知", "男女"])
def test_category_for_rejects_unknown_gender(gender):
    with pytest.raises(ValueError):
        category_for(gender)


JAN_2025 = date(2025, 1, 1)
JAN_2026 = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("birth", "gender", "cadre", "cutoff", "expected"),
    [
        # the seed's 2025 campaign: retirees before 2025-01-01 (不含当日) are excluded
        (date(1964, 1, 1), "男", False, JAN_2025, True),
        (date(1964, 12, 31), "男", False, JAN_2025, True),
        (date(1965, 1, 1), "男", False, JAN_2025, False),  # 60y1m -> 2025-02-01
        (date(1974, 12, 31), "女", False, JAN_2025, True),
        (date(1975, 1, 1), "女", False, JAN_2025, False),
        (date(1974, 12, 31), "女", True, JAN_2025, False),  # cadre: 55 -> 2029-12-31
        (date(1969, 12, 31), "女", True, JAN_2025, True),
        # the 2026 campaign, around the cutoff
        (date(1965, 9, 1), "男", False, JAN_2026, True),  # 60y3m -> 2025-12-01
        (date(1965, 9, 30), "男", False, JAN_2026, True),  # -> 2025-12-30
        (date(1965, 10, 1), "男", False, JAN_2026, False),  # -> 2026-01-01, not before
        (date(1975, 8, 31), "女", False, JAN_2026, True),  # 50y4m -> 2025-12-31
        (date(1975, 9, 1), "女", False, JAN_2026, False),  # 50y5m -> 2026-02-01
        (date(1970, 9, 1), "女", True, JAN_2026, True),  # 55y3m -> 2025-12-01
        (date(1970, 10, 1), "女", True, JAN_2026, False),  # 55y3m -> 2026-01-01
    ],
)
def test_reaches_retirement_before(birth, gender, cadre, cutoff, expected):
    assert reaches_retirement_before(birth, gender, cutoff, female_cadre=cadre) is expected


def test_retirement_on_the_cutoff_day_is_not_before():
    birth = date(1965, 10, 1)
    cutoff = retirement_date(birth, M)
    assert not reaches_retirement_before(birth, "男", cutoff)
    assert reaches_retirement_before(birth, "男", cutoff + timedelta(days=1))


births = st.dates(min_value=date(1950, 1, 1), max_value=date(2000, 12, 31))
ORIGINAL_AND_MAX = {M: ((60, 0), (63, 0)), W50: ((50, 0), (55, 0)), W55: ((55, 0), (58, 0))}


@pytest.mark.parametrize("category", list(RetirementCategory))
@given(a=births, b=births)
def test_later_birth_never_retires_earlier(category, a, b):
    early, late = sorted((a, b))
    assert retirement_age(early, category) <= retirement_age(late, category)
    assert retirement_date(early, category) <= retirement_date(late, category)


@pytest.mark.parametrize("category", list(RetirementCategory))
@given(birth=births)
def test_age_within_bounds_and_date_consistent(category, birth):
    low, high = ORIGINAL_AND_MAX[category]
    years, months = retirement_age(birth, category)
    assert low <= (years, months) <= high
    assert 0 <= months < 12
    reached = retirement_date(birth, category)
    total = years * 12 + months
    assert (reached.year * 12 + reached.month) - (birth.year * 12 + birth.month) == total
    assert reached.day == birth.day or (
        reached.day < birth.day and (reached + timedelta(days=1)).day == 1
    )
