"""The state machines of payment orders and refunds: one transition function each."""

from __future__ import annotations

from ..errors import InvalidTransition
from ..models_base import utcnow
from .models import OrderStatus, PaymentOrder, PaymentRefund, RefundStatus

OS = OrderStatus
RS = RefundStatus

ORDER_FROM: dict[OrderStatus, frozenset[OrderStatus]] = {
    OS.PAID: frozenset({OS.AWAITING, OS.CLOSED}),  # paid (a close may lose the race to the payer)
    OS.CLOSED: frozenset({OS.AWAITING}),  # expired unpaid and closed at WeChat Pay
    OS.REFUNDING: frozenset({OS.PAID}),  # the district refused: the money goes back
    OS.REFUNDED: frozenset({OS.REFUNDING}),
}

REFUND_FROM: dict[RefundStatus, frozenset[RefundStatus]] = {
    RS.PROCESSING: frozenset({RS.REQUESTED}),
    RS.SUCCEEDED: frozenset({RS.REQUESTED, RS.PROCESSING, RS.ABNORMAL}),
    RS.ABNORMAL: frozenset({RS.REQUESTED, RS.PROCESSING}),
}


def move_order(order: PaymentOrder, target: OrderStatus) -> None:
    """Change an order's status if the table allows it, else ``InvalidTransition``."""
    if order.status == target:
        raise InvalidTransition(f"支付订单状态已是「{target.value}」")
    if order.status not in ORDER_FROM.get(target, frozenset()):
        raise InvalidTransition(f"支付订单状态不能从「{order.status.value}」变为「{target.value}」")
    order.status = target
    order.status_changed_at = utcnow()


def move_refund(refund: PaymentRefund, target: RefundStatus) -> None:
    if refund.status == target:
        raise InvalidTransition(f"退款状态已是「{target.value}」")
    if refund.status not in REFUND_FROM.get(target, frozenset()):
        raise InvalidTransition(f"退款状态不能从「{refund.status.value}」变为「{target.value}」")
    refund.status = target
