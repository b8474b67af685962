"""The enrolment and submission state machines as full tables (every from × to pair)."""

from __future__ import annotations

import itertools

import pytest

from unioncard.errors import InvalidTransition
from unioncard.insurance import moves
from unioncard.insurance.models import HOLDING, EnrolmentStatus, SubmissionStatus

E, S = EnrolmentStatus, SubmissionStatus

# Written out by hand from domain §5 and seed 002, independently of moves.py.
ENROLMENT_ALLOWED = {
    (E.AWAITING_PAYMENT, E.SUBMITTED),  # paid: to the district's 即时参保审核
    (E.AWAITING_PAYMENT, E.CANCELLED),  # unpaid order closed
    (E.SUBMITTED, E.ACCEPTED),  # 添加至待提交
    (E.ACCEPTED, E.SUBMITTED),  # 移除
    (E.SUBMITTED, E.RETURNED),  # 退回
    (E.SUBMITTED, E.REFUSED),  # 即时参保 拒绝
    (E.SUBMITTED, E.SENT),  # 即时参保 审核通过
    (E.ACCEPTED, E.SENT),  # 提交至职保中心
    (E.SENT, E.COMPLETED),  # 职保中心确认
    (E.SUBMITTED, E.COMPLETED),  # 个人参保 审核通过 (paid already)
    (E.SENT, E.FAILED),  # deadline
    (E.SUBMITTED, E.FAILED),
    (E.ACCEPTED, E.FAILED),
}
SUBMISSION_ALLOWED = {
    (S.SUBMITTED, S.ACCEPTED),
    (S.ACCEPTED, S.SUBMITTED),
    (S.SUBMITTED, S.RETURNED),
    (S.SUBMITTED, S.REFUSED),
    (S.SUBMITTED, S.SENT),
    (S.ACCEPTED, S.SENT),
    (S.SENT, S.COMPLETED),
    (S.SUBMITTED, S.COMPLETED),
    (S.SENT, S.FAILED),
    (S.SUBMITTED, S.FAILED),
    (S.ACCEPTED, S.FAILED),
}


@pytest.mark.parametrize("came_from,to", list(itertools.product(E, E)))
def test_enrolment_table(came_from, to):
    if (came_from, to) in ENROLMENT_ALLOWED:
        assert moves._allowed(moves.ENROLMENT_FROM, to, [came_from]) == {came_from}
    else:
        with pytest.raises(InvalidTransition) as caught:
            moves._allowed(moves.ENROLMENT_FROM, to, [came_from])
        assert came_from.value in caught.value.message and to.value in caught.value.message


@pytest.mark.parametrize("came_from,to", list(itertools.product(S, S)))
def test_submission_table(came_from, to):
    if (came_from, to) in SUBMISSION_ALLOWED:
        assert moves._allowed(moves.SUBMISSION_FROM, to, [came_from]) == {came_from}
    else:
        with pytest.raises(InvalidTransition):
            moves._allowed(moves.SUBMISSION_FROM, to, [came_from])


def test_nothing_leaves_a_final_status():
    finals = {E.COMPLETED, E.FAILED, E.REFUSED, E.CANCELLED, E.RETURNED}
    assert not [pair for pair in ENROLMENT_ALLOWED if pair[0] in finals]
    # a covered member keeps the year's place; every other end releases it
    assert finals & HOLDING == {E.COMPLETED}
