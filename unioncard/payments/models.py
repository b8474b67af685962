"""Payments of members' personal insurance (个人参保缴费) through WeChat Pay API v3.

Amounts are ``Money`` in yuan; WeChat Pay counts in fen (``fen()``). ``transaction_id`` and
``out_trade_no`` are unique, and every notification id processed is kept
(``PaymentNotification``): a replayed or duplicated notification changes nothing.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..insurance.models import Enrolment
from ..models_base import Money, TimestampMixin, UTCDateTime, enum_column, utcnow


class OrderStatus(enum.StrEnum):
    """支付订单状态."""

    AWAITING = "待支付"
    PAID = "已支付"
    CLOSED = "已关闭"
    REFUNDING = "退款中"
    REFUNDED = "已退款"


class RefundStatus(enum.StrEnum):
    """退款状态: 待申请 until WeChat Pay accepted the request, then 退款中 until it is done."""

    REQUESTED = "待申请"
    PROCESSING = "退款中"
    SUCCEEDED = "已退款"
    ABNORMAL = "退款异常"  # WeChat Pay could not pay it back (e.g. the member's card closed)


def fen(amount: Decimal) -> int:
    """Yuan (two places) to WeChat Pay's integer fen."""
    return int((amount * 100).to_integral_exact())


class PaymentOrder(TimestampMixin, db.Model):
    """支付订单: one WeChat Pay JSAPI order for one personal enrolment."""

    __tablename__ = "payment_order"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)  # 商户订单号
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("member_user.id"), index=True)
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(64))  # the payer
    description: Mapped[str] = mapped_column(String(127))  # 商品描述
    amount: Mapped[Decimal] = mapped_column(Money)  # 订单金额（元）
    status: Mapped[OrderStatus] = enum_column(OrderStatus, "payment_order_status")
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(32), unique=True)  # 微信支付订单号
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # time_expire sent to WeChat Pay
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()

    @property
    def amount_fen(self) -> int:
        return fen(self.amount)


class PaymentRefund(TimestampMixin, db.Model):
    """退款: the whole amount of a paid order, paid back when the district refuses; or a
    second payment of an order already paid (重复支付), paid back at once."""

    __tablename__ = "payment_refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_order.id"), index=True)
    # the second payment refunded (重复支付); NULL: the order's own payment
    duplicate_transaction_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)  # 商户退款单号
    refund_id: Mapped[str | None] = mapped_column(String(32))  # 微信支付退款单号
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(80))
    status: Mapped[RefundStatus] = enum_column(RefundStatus, "payment_refund_status")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[PaymentOrder] = relationship()


class PaymentNotification(db.Model):
    """A WeChat Pay notification already processed, by its id (replay protection)."""

    __tablename__ = "payment_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    out_trade_no: Mapped[str | None] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(40))  # what it did: paid, refunded, duplicate …
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
