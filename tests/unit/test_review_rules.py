"""The annual review's status machine and business year, as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from unioncard.errors import InvalidTransition
from unioncard.reviews.models import ReviewStatus
from unioncard.reviews.rules import (
    APPROVE,
    REJECT,
    SUBMIT,
    business_year,
    check_editable,
    next_status,
)

IN_PROGRESS, SUBMITTED, RETURNED, APPROVED = (
    ReviewStatus.IN_PROGRESS,
    ReviewStatus.SUBMITTED,
    ReviewStatus.RETURNED,
    ReviewStatus.APPROVED,
)

# (current, action, next status or the message of the refusal)
TABLE = [
    (IN_PROGRESS, SUBMIT, SUBMITTED),
    (RETURNED, SUBMIT, SUBMITTED),
    (SUBMITTED, APPROVE, APPROVED),
    (SUBMITTED, REJECT, RETURNED),
    (SUBMITTED, SUBMIT, "年审已提交，正在等待上级工会审核，不能重复提交"),
    (APPROVED, SUBMIT, "本年度年审已审核通过，不能再次提交"),
    (APPROVED, APPROVE, "该年审已审核通过，无需重复审核"),
    (APPROVED, REJECT, "该年审已审核通过，不能退回"),
    (RETURNED, APPROVE, "该年审已退回基层工会修改，待重新提交后才能审核"),
    (RETURNED, REJECT, "该年审已退回，待基层工会重新提交后才能审核"),
    (IN_PROGRESS, APPROVE, "基层工会尚未提交年审，不能审核"),
    (IN_PROGRESS, REJECT, "基层工会尚未提交年审，不能退回"),
]


def test_the_table_covers_every_status_and_action():
    assert {(c, a) for c, a, _ in TABLE} == {
        (s, a) for s in ReviewStatus for a in (SUBMIT, APPROVE, REJECT)
    }


@pytest.mark.parametrize(("current", "action", "expected"), TABLE)
def test_next_status(current, action, expected):
    if isinstance(expected, ReviewStatus):
        assert next_status(current, action) == expected
    else:
        with pytest.raises(InvalidTransition) as exc:
            next_status(current, action)
        assert exc.value.message == expected
        assert exc.value.status == 409


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (IN_PROGRESS, None),
        (RETURNED, None),
        (SUBMITTED, "年审已提交，等待上级工会审核期间不能修改"),
        (APPROVED, "本年度年审已审核通过，不能再修改"),
    ],
)
def test_only_the_unit_s_open_review_is_editable(status, message):
    if message is None:
        check_editable(status)
    else:
        with pytest.raises(InvalidTransition) as exc:
            check_editable(status)
        assert exc.value.message == message


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (datetime(2026, 12, 31, 15, 30, tzinfo=UTC), 2026),  # 23:30 in Shanghai
        (datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), 2026),  # 23:59:59
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), 2027),  # midnight in Shanghai
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), 2027),
        (datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8))), 2027),
        (datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-10))), 2026),  # 18:00 SH
    ],
)
def test_business_year_is_shanghai_s(moment, year):
    assert business_year(moment) == year


def test_business_year_refuses_naive_timestamps():
    with pytest.raises(ValueError):
        business_year(datetime(2026, 12, 31, 23, 30))
