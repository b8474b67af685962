"""Status changes of unit submissions, enrolments (个人参保 paid or closed, 区局审核 →
职保中心 → 已完成 / 参保失败) and insurance batches (参保批次: 待缴费 → 已上传凭证 → 已完成,
or 参保失败 when unpaid): the one place they happen.

Every change is a status-conditioned UPDATE (``WHERE status IN (allowed from)``), so two
callers racing (a reviewer and the deadline job, two reviewers) never both win, and the
row count tells the caller how many rows really moved. An enrolment leaving the statuses
that hold the member's place (``HOLDING``) gets ``holding_member_id = NULL``: the member
may be enrolled again (resubmission, instant enrolment).

A sent submission (职保中心确认中) can only be completed by 职保中心's confirmation or
failed by the deadline job: the table below has no other way out of ``SENT``. Likewise a
batch is completed only from 已上传凭证 (职保中心确认) and fails only from 待缴费 (the deadline
job); a batch made 已完成 at once (个人参保 approved) is created so and never moves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, update

from ..errors import InvalidTransition
from ..extensions import db
from ..models_base import utcnow
from ..notifications import outbox as notifications
from .models import (
    HOLDING,
    Enrolment,
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)

S = SubmissionStatus
E = EnrolmentStatus
B = InsuranceBatchStatus

# to-status -> the statuses a submission may come from
SUBMISSION_FROM: dict[SubmissionStatus, frozenset[SubmissionStatus]] = {
    S.ACCEPTED: frozenset({S.SUBMITTED}),  # 添加至待提交
    S.SUBMITTED: frozenset({S.ACCEPTED}),  # 移除 (back to 待审批)
    S.RETURNED: frozenset({S.SUBMITTED}),  # 退回
    S.REFUSED: frozenset({S.SUBMITTED}),  # 即时参保 拒绝
    S.SENT: frozenset({S.ACCEPTED, S.SUBMITTED}),  # 提交职保中心 / 即时参保 审核通过
    S.COMPLETED: frozenset({S.SENT, S.SUBMITTED}),  # 职保中心确认 / 个人参保 审核通过
    S.FAILED: frozenset({S.SENT, S.SUBMITTED, S.ACCEPTED}),  # deadline job
}

ENROLMENT_FROM: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    E.ACCEPTED: frozenset({E.SUBMITTED}),
    E.SUBMITTED: frozenset({E.ACCEPTED, E.AWAITING_PAYMENT}),  # 移除 / 个人参保 paid
    E.CANCELLED: frozenset({E.AWAITING_PAYMENT}),  # 个人参保: the unpaid order closed
    E.RETURNED: frozenset({E.SUBMITTED}),
    E.REFUSED: frozenset({E.SUBMITTED}),
    E.SENT: frozenset({E.ACCEPTED, E.SUBMITTED}),
    E.COMPLETED: frozenset({E.SENT, E.SUBMITTED}),
    E.FAILED: frozenset({E.SENT, E.SUBMITTED, E.ACCEPTED}),
}

# to-status -> the statuses a batch (参保批次) may come from
BATCH_FROM: dict[InsuranceBatchStatus, frozenset[InsuranceBatchStatus]] = {
    B.VOUCHER_UPLOADED: frozenset({B.AWAITING_PAYMENT, B.VOUCHER_UPLOADED}),  # 上传 / 重新上传凭证
    B.COMPLETED: frozenset({B.VOUCHER_UPLOADED}),  # 职保中心确认
    B.FAILED: frozenset({B.AWAITING_PAYMENT}),  # deadline job: 逾期未缴费
}


def _allowed(table: dict, to, came_from: Iterable, what: str = "参保信息") -> frozenset:
    allowed = table.get(to, frozenset())
    wanted = frozenset(came_from)
    if not wanted <= allowed:
        bad = "、".join(sorted(s.value for s in wanted - allowed))
        raise InvalidTransition(f"状态为「{bad}」的{what}不能改为「{to.value}」")
    return wanted


def move_submissions(
    where: ColumnElement[bool],
    came_from: Iterable[SubmissionStatus],
    to: SubmissionStatus,
    **values,
) -> int:
    """Move the submissions matching ``where`` and in one of ``came_from`` to ``to``."""
    statuses = _allowed(SUBMISSION_FROM, to, came_from)
    result = db.session.execute(
        update(UnitSubmission)
        .where(where, UnitSubmission.status.in_(statuses))
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def move_enrolments(
    where: ColumnElement[bool],
    came_from: Iterable[EnrolmentStatus],
    to: EnrolmentStatus,
    **values,
) -> int:
    """Move the enrolments matching ``where`` and in one of ``came_from`` to ``to``; the
    member's place for the year is released when ``to`` does not hold it."""
    statuses = _allowed(ENROLMENT_FROM, to, came_from)
    # the members' WeChat messages (已完成, 已拒绝, 参保失败), written before the rows move
    notifications.enrolments_changing(
        where & Enrolment.status.in_(statuses), to, values.get("failed_reason")
    )
    now = utcnow()
    holding = Enrolment.member_id if to in HOLDING else None
    result = db.session.execute(
        update(Enrolment)
        .where(where, Enrolment.status.in_(statuses))
        .values(
            status=to,
            holding_member_id=holding,
            status_changed_at=now,
            updated_at=now,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def move_enrolment(enrolment: Enrolment, to: EnrolmentStatus, **values) -> None:
    """One enrolment through the same table; refused when another caller moved it first."""
    if not move_enrolments(Enrolment.id == enrolment.id, [enrolment.status], to, **values):
        raise InvalidTransition("参保记录的状态已被其他操作改变，请刷新后重试")
    refresh(enrolment)


def move_batches(
    where: ColumnElement[bool],
    came_from: Iterable[InsuranceBatchStatus],
    to: InsuranceBatchStatus,
    **values,
) -> int:
    """Move the batches matching ``where`` and in one of ``came_from`` to ``to``."""
    statuses = _allowed(BATCH_FROM, to, came_from, "参保批次")
    result = db.session.execute(
        update(InsuranceBatch)
        .where(where, InsuranceBatch.status.in_(statuses))
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def move_batch(batch: InsuranceBatch, to: InsuranceBatchStatus, **values) -> None:
    """One batch through the same table; refused when another caller moved it first."""
    if not move_batches(InsuranceBatch.id == batch.id, [batch.status], to, **values):
        raise InvalidTransition("参保批次的状态已被其他操作改变，请刷新后重试")
    refresh(batch)


def refresh(*objects) -> None:
    """Reload ORM objects after bulk UPDATEs changed their rows."""
    for obj in objects:
        db.session.refresh(obj)
