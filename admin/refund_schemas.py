"""Schemas of the district's list of personal refunds (个人缴费退款)."""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard.payments.models import RefundStatus
from unioncard.webfields import Text, Timestamp

from .common import Base


class RefundQuery(Base):
    status = Text(
        validate=validate.OneOf([s.value for s in RefundStatus]),
        metadata={"description": "退款状态：待申请/退款中/已退款/退款异常"},
    )
    duplicate = fields.Boolean(metadata={"description": "true：只看重复支付的自动退款"})


class RefundOut(Base):
    id = fields.Integer()
    kind = Text(metadata={"description": "退款原因类别：审核不通过/关闭后到账/重复支付"})
    member_name = Text(metadata={"description": "会员姓名"})
    org_name = Text(metadata={"description": "所属工会"})
    enrolment_id = fields.Integer()
    out_trade_no = Text(metadata={"description": "商户订单号"})
    out_refund_no = Text(metadata={"description": "商户退款单号"})
    amount = fields.Decimal(as_string=True, metadata={"description": "退款金额（元）"})
    reason = Text()
    status = Text(metadata={"description": "待申请/退款中/已退款/退款异常"})
    last_error = Text(allow_none=True, metadata={"description": "最近一次失败原因"})
    created_at = Timestamp()
    succeeded_at = Timestamp(allow_none=True)
