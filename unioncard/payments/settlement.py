"""What WeChat Pay tells us, applied once: payments, refunds, expired orders.

``apply_notification`` takes a notification the route has already verified and decrypted:

- its id was processed before (``PaymentNotification``): nothing changes (a replay);
- TRANSACTION.SUCCESS: the order (locked) must be ours (mchid, appid) and the amount must
  be the order's, else ``PaymentRefused`` (answered 400, nothing changes); an order already
  paid with this transaction changes nothing (a duplicate under another id), paid with
  another transaction (重复支付) pays that second payment back at once; an open order
  becomes 已支付 and its enrolment goes to the district (``instant.mark_paid``); a payment
  for an order we had closed is paid back at once;
- REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED: the refund settles.

``expire_order`` closes an unpaid order past its time (WeChat Pay first, then ours, the
enrolment cancelled); ``check_order`` asks WeChat Pay about an order whose notification
never came. Both run from the beat (``tasks.sweep``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from integrations.wechatpay.client import Notification, WeChatPayRejected

from ..errors import DomainError
from ..extensions import db
from ..insurance.models import Enrolment, EnrolmentStatus
from ..models_base import utcnow
from ..notifications import outbox
from . import gateway, refunds
from .models import OrderStatus, PaymentNotification, PaymentOrder
from .rules import move_order

log = logging.getLogger(__name__)


class PaymentRefused(DomainError):
    """A verified notification we will not apply (amount or merchant mismatch, unknown order)."""

    status = 400
    default_message = "支付通知与订单不符，未处理"


def _when(value) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    return moment if moment is not None and moment.tzinfo is not None else utcnow()


def _seen(notification_id: str) -> bool:
    return (
        db.session.scalar(
            select(PaymentNotification.id).where(
                PaymentNotification.notification_id == notification_id
            )
        )
        is not None
    )


def apply_notification(note: Notification) -> str:
    """Apply a verified notification; returns what it did (paid, duplicate, refunded …)."""
    if _seen(note.id):
        return "replayed"
    resource = note.resource
    if note.event_type == "TRANSACTION.SUCCESS":
        outcome = apply_transaction(resource)
    elif note.event_type.startswith("REFUND."):
        outcome = refunds.apply_refund_result(resource)
    else:
        outcome = "ignored"
    db.session.add(
        PaymentNotification(
            notification_id=note.id,
            event_type=note.event_type,
            out_trade_no=str(resource.get("out_trade_no") or "")[:32] or None,
            outcome=outcome,
        )
    )
    db.session.flush()
    return outcome


def _lock_order(out_trade_no) -> PaymentOrder | None:
    if not isinstance(out_trade_no, str) or not out_trade_no:
        return None
    return db.session.scalar(
        select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no).with_for_update()
    )


def apply_transaction(tx: dict) -> str:
    """A transaction WeChat Pay reports (a notification, or a query's answer)."""
    cfg = current_app.config
    order = _lock_order(tx.get("out_trade_no"))
    if order is None:
        raise PaymentRefused("支付通知中的商户订单号不存在")
    if tx.get("mchid") != cfg["WECHATPAY_MCH_ID"] or tx.get("appid") != order.appid:
        raise PaymentRefused("支付通知的商户号或 AppID 与订单不符")
    if tx.get("trade_state") != "SUCCESS":
        return "ignored"
    amount = tx.get("amount") if isinstance(tx.get("amount"), dict) else {}
    if amount.get("total") != order.amount_fen or amount.get("currency", "CNY") != "CNY":
        log.error(
            "WeChat Pay amount mismatch on %s: %r, order %s fen",
            order.out_trade_no,
            amount,
            order.amount_fen,
        )
        raise PaymentRefused("支付金额与订单金额不符，未处理")
    transaction_id = tx.get("transaction_id")
    if not isinstance(transaction_id, str) or not transaction_id:
        raise PaymentRefused("支付通知缺少微信支付订单号")
    if order.status not in (OrderStatus.AWAITING, OrderStatus.CLOSED):
        if order.transaction_id != transaction_id:
            # money is never kept twice: the second payment goes straight back
            return refunds.refund_second_payment(order, transaction_id[:32])
        return "duplicate"
    was_closed = order.status == OrderStatus.CLOSED
    move_order(order, OrderStatus.PAID)
    order.transaction_id = transaction_id[:32]
    order.paid_at = _when(tx.get("success_time"))
    enrolment = db.session.get(Enrolment, order.enrolment_id, with_for_update=True)
    if was_closed or enrolment.status != EnrolmentStatus.AWAITING_PAYMENT:
        # the member paid an order we had given up on: the money goes straight back
        refunds.start_refund(order, "订单已关闭后才到账，自动退款")
        return "paid_after_close"
    from ..insurance import instant

    instant.mark_paid(enrolment)
    outbox.enrolment_event(enrolment, "已支付", f"已缴费{order.amount}元，待区局审核")
    db.session.flush()
    return "paid"


def expire_order(order: PaymentOrder) -> OrderStatus:
    """Close an unpaid order at WeChat Pay, then here, cancelling its enrolment. When WeChat
    Pay says it was paid meanwhile, the payment is applied instead. Returns the new status."""
    client = gateway.client()
    try:
        client.close_order(order.out_trade_no)
    except WeChatPayRejected as exc:
        if exc.code != "ORDERPAID":
            raise
        apply_transaction(client.query_order(order.out_trade_no))
        return order.status
    move_order(order, OrderStatus.CLOSED)
    order.closed_at = utcnow()
    enrolment = db.session.get(Enrolment, order.enrolment_id)
    if enrolment.status == EnrolmentStatus.AWAITING_PAYMENT:
        from ..insurance import instant

        instant.cancel_unpaid(enrolment)
    db.session.flush()
    return order.status


def check_order(order: PaymentOrder) -> str:
    """Ask WeChat Pay about an open order (a lost notification, an expired order)."""
    tx = gateway.client().query_order(order.out_trade_no)
    if tx["trade_state"] == "SUCCESS":
        return apply_transaction(tx)
    if order.expires_at <= utcnow():
        return expire_order(order).value
    return "open"
