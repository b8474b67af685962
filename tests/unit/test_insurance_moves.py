"""The enrolment, submission and batch state machines as full tables (every from × to
pair), and a batch moved under a caller's feet."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tests.world import build_world
from unioncard.errors import InvalidTransition
from unioncard.extensions import db
from unioncard.insurance import moves
from unioncard.insurance.models import (
    HOLDING,
    BatchSource,
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
)

E, S, B = EnrolmentStatus, SubmissionStatus, InsuranceBatchStatus

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
BATCH_ALLOWED = {
    (B.AWAITING_PAYMENT, B.VOUCHER_UPLOADED),  # 上传缴费凭证
    (B.VOUCHER_UPLOADED, B.VOUCHER_UPLOADED),  # 重新上传 before 职保中心's confirmation
    (B.VOUCHER_UPLOADED, B.COMPLETED),  # 职保中心确认
    (B.AWAITING_PAYMENT, B.FAILED),  # deadline job: 逾期未缴费
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


@pytest.mark.parametrize("came_from,to", list(itertools.product(B, B)))
def test_batch_table(came_from, to):
    if (came_from, to) in BATCH_ALLOWED:
        assert moves._allowed(moves.BATCH_FROM, to, [came_from]) == {came_from}
    else:
        with pytest.raises(InvalidTransition) as caught:
            moves._allowed(moves.BATCH_FROM, to, [came_from], "参保批次")
        message = caught.value.message
        assert came_from.value in message and to.value in message and "参保批次" in message


def test_nothing_leaves_a_final_batch_status():
    assert not [pair for pair in BATCH_ALLOWED if pair[0] in {B.COMPLETED, B.FAILED}]
    assert {to for _from, to in BATCH_ALLOWED} == {B.VOUCHER_UPLOADED, B.COMPLETED, B.FAILED}


def _batch(status: InsuranceBatchStatus) -> InsuranceBatch:
    world = build_world(0)
    batch = InsuranceBatch(
        batch_no="BX2027-101-0001",
        org_id=world.org("dA").id,
        year=2027,
        source=BatchSource.COLLECTIVE,
        status=status,
        payment_deadline=date(2027, 1, 5),
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def test_move_batch_moves_and_refreshes(ctx):
    batch = _batch(B.AWAITING_PAYMENT)
    moves.move_batch(batch, B.VOUCHER_UPLOADED, voucher_uploaded_by_name="甲区审核员")
    assert batch.status == B.VOUCHER_UPLOADED
    assert batch.voucher_uploaded_by_name == "甲区审核员"
    # a status the table refuses raises before any row changes
    with pytest.raises(InvalidTransition) as caught:
        moves.move_batch(batch, B.FAILED)
    assert caught.value.message == "状态为「已上传凭证」的参保批次不能改为「参保失败」"
    db.session.expire_all()
    assert db.session.get(InsuranceBatch, batch.id).status == B.VOUCHER_UPLOADED


def test_move_batch_refuses_a_row_moved_by_someone_else(ctx):
    batch = _batch(B.AWAITING_PAYMENT)
    batch_id = batch.id
    # the deadline job fails the batch while the uploader still holds it as 待缴费
    assert moves.move_batches(InsuranceBatch.id == batch_id, [B.AWAITING_PAYMENT], B.FAILED) == 1
    assert batch.status == B.AWAITING_PAYMENT  # stale in this session
    with pytest.raises(InvalidTransition) as caught:
        moves.move_batch(batch, B.VOUCHER_UPLOADED, voucher_uploaded_by_name="甲区审核员")
    assert caught.value.message == "参保批次的状态已被其他操作改变，请刷新后重试"
    db.session.expire_all()
    found = db.session.get(InsuranceBatch, batch_id)
    assert found.status == B.FAILED and found.voucher_uploaded_by_name is None
    # a second bulk move finds nothing left to move
    assert moves.move_batches(InsuranceBatch.id == batch_id, [B.AWAITING_PAYMENT], B.FAILED) == 0


def test_nothing_leaves_a_final_status():
    finals = {E.COMPLETED, E.FAILED, E.REFUSED, E.CANCELLED, E.RETURNED}
    assert not [pair for pair in ENROLMENT_ALLOWED if pair[0] in finals]
    # a covered member keeps the year's place; every other end releases it
    assert finals & HOLDING == {E.COMPLETED}
