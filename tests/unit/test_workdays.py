"""Working days by China's official calendar, and the fallback for unpublished years."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from unioncard.workdays import add_workdays, is_workday, workdays_between


def _unpublished_twin_of_2027() -> int:
    """The first year laid out day for day like 2027 (Friday 1 January, not a leap year) that
    the installed ``chinese-calendar`` does not know, nor the year before it: the fallback's
    cases hold whichever years a newer release of the package learns."""
    known = max(d.year for d in chinese_calendar.holidays)
    year = max(2027, known + 2)
    while date(year, 1, 1).weekday() != 4 or year % 4 == 0:
        year += 1
    return year


UNPUBLISHED = _unpublished_twin_of_2027()


def _u(month: int, day: int, year_offset: int = 0) -> date:
    return date(UNPUBLISHED + year_offset, month, day)


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 10, 1), False),  # 国庆节 (published schedule)
        (date(2026, 10, 7), False),  # 国庆节 holiday on a Wednesday
        (date(2026, 10, 10), True),  # a make-up working Saturday
        (date(2026, 9, 20), True),  # a make-up working Sunday
        (date(2026, 11, 23), True),  # an ordinary Monday
        (date(2026, 11, 22), False),  # an ordinary Sunday
        (_u(1, 1), False),  # unpublished year: 元旦 (a Friday) is fixed by law
        (_u(5, 3), True),  # unpublished year: only 5-1 and 5-2 are fixed (a Monday)
        (_u(10, 1), False),
        (_u(10, 4), True),  # a Monday after the three days fixed by law
        (_u(1, 4), True),  # a Monday
        (_u(1, 2), False),  # a Saturday
    ],
)
def test_is_workday(day, working):
    assert is_workday(day) is working


def test_the_published_cases_are_in_the_package():
    assert date(2026, 10, 1) in chinese_calendar.holidays  # else the first cases prove nothing
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(_u(1, 1))  # and the fallback's cases reach the fallback


def test_add_and_count_across_new_year():
    # 31 December (a Thursday) + 5 working days: 1-1 (Friday, 元旦) and the weekend do not count
    assert add_workdays(_u(12, 31, -1), 5) == _u(1, 8)
    assert workdays_between(_u(12, 31, -1), _u(1, 8)) == 5


def test_operators_correct_an_unpublished_year(app):
    with app.app_context():
        app.config["EXTRA_HOLIDAYS"], app.config["EXTRA_WORKDAYS"] = ["2027-02-08"], ["2027-02-06"]
        try:
            assert is_workday(date(2027, 2, 8)) is False  # a Monday given as 春节
            assert is_workday(date(2027, 2, 6)) is True  # a Saturday given as make-up day
        finally:
            app.config["EXTRA_HOLIDAYS"], app.config["EXTRA_WORKDAYS"] = [], []
