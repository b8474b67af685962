"""Celery task of the payment deadline (beat: hourly, see tasks_runtime.beat_schedule)."""

from __future__ import annotations

import logging

from ..extensions import db
from ..kvstore import exclusive
from ..tasks_runtime import celery
from . import deadline

log = logging.getLogger(__name__)


@celery.task(name="insurance.expire_unpaid")
def expire_unpaid() -> dict | None:
    """Fail the overdue batches and unsent collective submissions (one run at a time)."""
    try:
        with exclusive("insurance.expire_unpaid", ttl=1800) as acquired:
            if not acquired:
                return None
            counts = deadline.expire_unpaid()
            db.session.commit()
            if any(counts.values()):
                log.info("insurance.expire_unpaid: %s", counts)
            return counts
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()
