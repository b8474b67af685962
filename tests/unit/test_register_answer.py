"""A social-security register answer written onto the member (members/register.py)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.clock import freeze_today
from unioncard.members import register
from unioncard.members.models import EmploymentStatus, InsuranceStatus, Member, SocialCardStatus

BASE = {"insurance_status": "正常", "card_status": "正常", "employment": "在职"}


@pytest.mark.parametrize(
    "answer,retired_on",
    [
        ({"retired": False, "retired_on": None}, None),
        ({"retired": True, "retired_on": "2024-08-31"}, date(2024, 8, 31)),
        ({"retired": True, "retired_on": None}, date(2026, 11, 22)),  # date unknown: today
        ({"retired": True}, date(2026, 11, 22)),
    ],
)
def test_retirement_date(answer, retired_on, time_machine):
    freeze_today(time_machine, date(2026, 11, 22))
    member = Member(retired_on=date(2000, 1, 1))
    register.apply_social_security(member, BASE | answer)
    assert member.retired_on == retired_on
    # before 1 January of next year in every retired case: excluded from collective enrolment
    assert (member.retired_on is not None) == bool(answer.get("retired"))
    if member.retired_on:
        assert member.retired_on < date(2027, 1, 1)


def test_statuses_and_check_time():
    member = Member()
    register.apply_social_security(
        member, {"insurance_status": "待确认", "card_status": "封存", "employment": "不在职"}
    )
    assert member.insurance_status == InsuranceStatus.TO_CONFIRM
    assert member.social_card_status == SocialCardStatus.SEALED
    assert member.employment_status == EmploymentStatus.UNEMPLOYED
    assert member.social_checked_at is not None
    register.apply_social_security(member, {"card_status": None, "employment": None})
    assert member.insurance_status == InsuranceStatus.NORMAL
    assert member.social_card_status is None and member.employment_status is None
