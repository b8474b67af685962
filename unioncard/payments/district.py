"""What the district sees of the members' personal payments: every refund (区局审核不通过、
订单关闭后到账、重复支付) of the personal enrolments in its subtree, newest first."""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.scope import Scope
from ..insurance.models import Enrolment
from ..members.models import Member
from ..orgs.models import Org
from .models import PaymentOrder, PaymentRefund, RefundStatus


def refund_kind(refund: PaymentRefund) -> str:
    if refund.duplicate_transaction_id:
        return "重复支付"
    if refund.reason.startswith("订单已关闭"):
        return "关闭后到账"
    return "审核不通过"


def refund_rows(scope: Scope, f: dict):
    """A ``select`` of (refund, order, member name, org name) for the district's list."""
    stmt = (
        select(PaymentRefund, PaymentOrder, Member.name, Org.name.label("org_name"))
        .join(PaymentOrder, PaymentOrder.id == PaymentRefund.order_id)
        .join(Enrolment, Enrolment.id == PaymentOrder.enrolment_id)
        .join(Member, Member.id == PaymentOrder.member_id)
        .join(Org, Org.id == Enrolment.org_id)
        .where(scope.owned_by(Enrolment.org_id))
        .order_by(PaymentRefund.id.desc())
    )
    if f.get("status"):
        stmt = stmt.where(PaymentRefund.status == RefundStatus(f["status"]))
    if f.get("duplicate") is not None:
        column = PaymentRefund.duplicate_transaction_id
        stmt = stmt.where(column.is_not(None) if f["duplicate"] else column.is_(None))
    return stmt


def present_refund(row) -> dict:
    refund, order = row[0], row[1]
    return {
        "id": refund.id,
        "kind": refund_kind(refund),
        "member_name": row.name,
        "org_name": row.org_name,
        "enrolment_id": order.enrolment_id,
        "out_trade_no": order.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "amount": refund.amount,
        "reason": refund.reason,
        "status": refund.status.value,
        "last_error": refund.last_error,
        "created_at": refund.created_at,
        "succeeded_at": refund.succeeded_at,
    }
