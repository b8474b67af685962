"""Celery tasks of payments: ask for a refund after commit; the beat's sweep."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..kvstore import exclusive
from ..models_base import utcnow
from ..tasks_runtime import celery
from .models import OrderStatus, PaymentOrder, PaymentRefund, RefundStatus

log = logging.getLogger(__name__)
REFUND_RETRIES = 6
QUIET = timedelta(minutes=2)  # an order or refund this old without news is asked about
SWEEP_LIMIT = 200


@celery.task(name="payments.request_refund", bind=True, max_retries=REFUND_RETRIES)
def request_refund(self, refund_id: int) -> str:
    """Ask WeChat Pay to pay one refund back; retried with back-off while it is unreachable."""
    from . import refunds

    try:
        status = refunds.request(refund_id)
        db.session.commit()
    finally:
        db.session.remove()
    eager = self.request.called_directly or self.request.is_eager
    waiting = status == RefundStatus.REQUESTED.value
    if waiting and not eager and self.request.retries < REFUND_RETRIES:
        raise self.retry(countdown=30 * 2**self.request.retries)
    return status


def sweep(now=None) -> dict:
    """Orders and refunds WeChat Pay has not told us about: refunds still 待申请 are asked
    again; open orders quiet for a while are queried (paid → applied; expired → closed);
    refunds 退款中 quiet for a while are queried. Each item commits on its own."""
    from . import refunds, settlement

    now = now or utcnow()
    counts = {"refunds_requested": 0, "orders_checked": 0, "refunds_checked": 0, "errors": 0}
    jobs = [
        ("refunds_requested", PaymentRefund, PaymentRefund.status == RefundStatus.REQUESTED,
         lambda row: refunds.request(row.id)),
        ("orders_checked", PaymentOrder, (PaymentOrder.status == OrderStatus.AWAITING)
         & (PaymentOrder.created_at <= now - QUIET), settlement.check_order),
        ("refunds_checked", PaymentRefund, (PaymentRefund.status == RefundStatus.PROCESSING)
         & (PaymentRefund.updated_at <= now - QUIET), refunds.poll),
    ]  # fmt: skip
    for name, model, condition, work in jobs:
        ids = list(db.session.scalars(select(model.id).where(condition).limit(SWEEP_LIMIT)))
        for row_id in ids:
            try:
                work(db.session.get(model, row_id))
                db.session.commit()
                counts[name] += 1
            except Exception as exc:  # one bad item never stops the sweep
                db.session.rollback()
                counts["errors"] += 1
                log.warning("payments sweep: %s %s: %s", model.__name__, row_id, exc)
    return counts


@celery.task(name="payments.sweep")
def sweep_task() -> dict:
    """Beat (every two minutes)."""
    with exclusive("payments.sweep", ttl=110) as acquired:
        if not acquired:
            return {}
        try:
            return sweep()
        finally:
            db.session.remove()
