"""退款: paying a member's personal insurance fee back (the district refused it, the
money arrived for an order already closed, or an order was paid twice).

``start_refund`` records the refund (待申请) and the order 退款中 in the caller's
transaction and queues ``tasks.request_refund`` after commit: WeChat Pay is never called
before the decision is committed. ``request`` asks WeChat Pay (the same ``out_refund_no``
every time, so a retry never refunds twice); the result arrives in the answer or in a
REFUND.* notification (``apply_refund_result``). The beat re-requests refunds still 待申请
and asks about those still 退款中 (``tasks.sweep``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from integrations.wechatpay.client import WeChatPayRejected, WeChatPayUnavailable

from ..audit import services as audit
from ..extensions import db
from ..insurance.models import Enrolment
from ..models_base import utcnow
from ..notifications import outbox
from ..tasks_runtime import after_commit
from . import gateway
from .models import OrderStatus, PaymentOrder, PaymentRefund, RefundStatus
from .rules import move_order, move_refund

log = logging.getLogger(__name__)


def start_refund(order: PaymentOrder, reason: str) -> PaymentRefund:
    move_order(order, OrderStatus.REFUNDING)
    refund = PaymentRefund(
        order_id=order.id,
        out_refund_no="RF" + order.out_trade_no,
        amount=order.amount,
        reason=reason[:80],
        status=RefundStatus.REQUESTED,
    )
    db.session.add(refund)
    db.session.flush()
    from .tasks import request_refund

    after_commit(db.session, request_refund, refund.id)
    return refund


def refund_second_payment(order: PaymentOrder, transaction_id: str) -> str:
    """重复支付: the order was paid again under another transaction. That payment is refunded
    by its transaction id (the order and its enrolment stay as they are), audited, and shown
    to the district in the list of personal refunds. Once per transaction."""
    known = db.session.scalar(
        select(PaymentRefund.id).where(PaymentRefund.duplicate_transaction_id == transaction_id)
    )
    if known is not None:
        return "duplicate"
    refund = PaymentRefund(
        order_id=order.id,
        out_refund_no="RD" + transaction_id,
        duplicate_transaction_id=transaction_id,
        amount=order.amount,
        reason="重复支付，自动退还",
        status=RefundStatus.REQUESTED,
    )
    db.session.add(refund)
    db.session.flush()
    audit.record(
        None,
        "payments.refund_second_payment",
        target_type="payment_order",
        target_ids=[order.id],
        detail={"out_trade_no": order.out_trade_no, "out_refund_no": refund.out_refund_no,
                "amount": str(order.amount), "enrolment_id": order.enrolment_id},
    )  # fmt: skip
    log.warning("order %s paid twice: refunding the second payment", order.out_trade_no)
    from .tasks import request_refund

    after_commit(db.session, request_refund, refund.id)
    return "paid_twice_refunding"


def refund_refused(enrolment_ids: list[int]) -> int:
    """The district refused these personal enrolments: pay each paid order back."""
    orders = db.session.scalars(
        select(PaymentOrder)
        .where(
            PaymentOrder.enrolment_id.in_(enrolment_ids),
            PaymentOrder.status == OrderStatus.PAID,
        )
        .order_by(PaymentOrder.id)
        .with_for_update()
    ).all()
    for order in orders:
        start_refund(order, "区局审核未通过，退还个人缴费")
    return len(orders)


def request(refund_id: int) -> str:
    """Ask WeChat Pay for one refund (a task; the caller commits). Returns its status."""
    refund = db.session.get(PaymentRefund, refund_id, with_for_update=True)
    if refund is None or refund.status != RefundStatus.REQUESTED:
        return refund.status.value if refund else "missing"
    order = refund.order
    refund.attempts += 1
    try:
        answer = gateway.client().refund(
            transaction_id=refund.duplicate_transaction_id,
            out_trade_no=order.out_trade_no,
            out_refund_no=refund.out_refund_no,
            refund_fen=order.amount_fen,
            total_fen=order.amount_fen,
            reason=refund.reason,
            notify_url=gateway.refund_notify_url(),
        )
    except WeChatPayUnavailable as exc:
        refund.last_error = exc.message[:500]
        return refund.status.value  # still 待申请: the task retries, then the beat
    except WeChatPayRejected as exc:
        refund.last_error = exc.message[:500]
        move_refund(refund, RefundStatus.ABNORMAL)
        log.error("refund %s refused by WeChat Pay: %s", refund.out_refund_no, exc.message)
        return refund.status.value
    refund.refund_id = str(answer.get("refund_id") or "")[:32] or None
    _settle(refund, answer.get("status"), answer.get("success_time"))
    return refund.status.value


def apply_refund_result(resource: dict) -> str:
    """A REFUND.* notification's resource (or a refund query's answer)."""
    refund = db.session.scalar(
        select(PaymentRefund)
        .where(PaymentRefund.out_refund_no == resource.get("out_refund_no"))
        .with_for_update()
    )
    if refund is None:
        from .settlement import PaymentRefused

        raise PaymentRefused("退款通知中的退款单号不存在")
    if refund.refund_id is None and resource.get("refund_id"):
        refund.refund_id = str(resource["refund_id"])[:32]
    status = resource.get("refund_status") or resource.get("status")
    before = refund.status
    _settle(refund, status, resource.get("success_time"))
    return "refunded" if refund.status != before else "duplicate"


def _settle(refund: PaymentRefund, status, success_time) -> None:
    if status == "PROCESSING" and refund.status == RefundStatus.REQUESTED:
        move_refund(refund, RefundStatus.PROCESSING)
    elif status == "SUCCESS" and refund.status != RefundStatus.SUCCEEDED:
        move_refund(refund, RefundStatus.SUCCEEDED)
        refund.succeeded_at = utcnow()
        refund.last_error = None
        enrolment = db.session.get(Enrolment, refund.order.enrolment_id)
        if refund.duplicate_transaction_id:  # the order itself stays paid
            outbox.enrolment_event(enrolment, "重复退款", f"重复缴纳的{refund.amount}元已原路退回")
        else:
            move_order(refund.order, OrderStatus.REFUNDED)
            outbox.enrolment_event(enrolment, "已退款", f"{refund.amount}元已原路退回")
    elif status in ("ABNORMAL", "CLOSED") and refund.status in (
        RefundStatus.REQUESTED,
        RefundStatus.PROCESSING,
    ):
        move_refund(refund, RefundStatus.ABNORMAL)
        refund.last_error = f"微信支付退款状态 {status}"
    db.session.flush()


def poll(refund: PaymentRefund) -> str:
    """Ask WeChat Pay about a refund still 退款中 (a lost notification)."""
    answer = gateway.client().query_refund(refund.out_refund_no)
    return apply_refund_result(answer)
