"""Working days by China's official calendar, and the fallback for unpublished years."""

from __future__ import annotations

from datetime import date

import pytest

from unioncard.workdays import add_workdays, is_workday, workdays_between


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 10, 1), False),  # 国庆节 (published schedule)
        (date(2026, 10, 7), False),  # 国庆节 holiday on a Wednesday
        (date(2026, 10, 10), True),  # a make-up working Saturday
        (date(2026, 9, 20), True),  # a make-up working Sunday
        (date(2026, 11, 23), True),  # an ordinary Monday
        (date(2026, 11, 22), False),  # an ordinary Sunday
        (date(2027, 1, 1), False),  # unpublished year: 元旦 is fixed by law
        (date(2027, 5, 3), True),  # unpublished year: only 5-1 and 5-2 are fixed
        (date(2027, 10, 1), False),
        (date(2027, 10, 4), True),
        (date(2027, 1, 4), True),
        (date(2027, 1, 2), False),  # a Saturday
    ],
)
def test_is_workday(day, working):
    assert is_workday(day) is working


def test_add_and_count_across_new_year():
    # 2026-12-31 (Thu) + 5 working days: 1-1 (Fri, 元旦) and the weekend do not count
    assert add_workdays(date(2026, 12, 31), 5) == date(2027, 1, 8)
    assert workdays_between(date(2026, 12, 31), date(2027, 1, 8)) == 5


def test_operators_correct_an_unpublished_year(app):
    with app.app_context():
        app.config["EXTRA_HOLIDAYS"], app.config["EXTRA_WORKDAYS"] = ["2027-02-08"], ["2027-02-06"]
        try:
            assert is_workday(date(2027, 2, 8)) is False  # a Monday given as 春节
            assert is_workday(date(2027, 2, 6)) is True  # a Saturday given as make-up day
        finally:
            app.config["EXTRA_HOLIDAYS"], app.config["EXTRA_WORKDAYS"] = [], []
