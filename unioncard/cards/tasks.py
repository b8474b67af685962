"""Celery tasks of card issuance: register checks and delivery of the bank outbox."""

from __future__ import annotations

from ..extensions import db
from ..kvstore import exclusive
from ..tasks_runtime import celery, dispatch
from . import checks, delivery, gateways


@celery.task(
    name="cards.run_checks",
    bind=True,
    max_retries=gateways.CHECK_RETRIES,
    soft_time_limit=1800,
    time_limit=1900,
)
def run_checks_task(self, org_id: int) -> None:
    """Check a union's 校验中 members against the registers (retried while they are down)."""
    gateways.with_registers(
        self,
        lock=f"cards.checks.run:{org_id}",
        ttl=1900,
        work=lambda population, social: checks.run(
            org_id, population=population, social_security=social
        ),
        give_up=lambda: checks.abandon(org_id, "校验服务暂不可用，请稍后重新提交校验"),
    )


@celery.task(name="cards.deliver_outbox")
def deliver_outbox(outbox_id: int) -> str:
    """Send one message to the bank; on an outage it stays pending for the beat to retry."""
    try:
        return delivery.deliver(outbox_id, gateways.bank())
    finally:
        db.session.remove()


@celery.task(name="cards.flush_outbox")
def flush_outbox() -> int:
    """Beat: send whatever is due (after an outage, a crash, a lost dispatch)."""
    try:
        with exclusive("cards.flush_outbox", ttl=55) as acquired:
            if not acquired:
                return 0
            ids = delivery.due()
        for outbox_id in ids:
            dispatch(deliver_outbox, outbox_id)
        return len(ids)
    finally:
        db.session.remove()
