"""Celery tasks of the member's own path: the register checks of a card application."""

from __future__ import annotations

from ..cards import gateways
from ..extensions import db
from ..kvstore import exclusive
from ..tasks_runtime import celery
from . import cards

CHECK_RETRIES = 5


@celery.task(name="selfservice.check_card_application", bind=True, max_retries=CHECK_RETRIES)
def check_card_application(self, application_id: int) -> str:
    """个人办卡申请的系统校验, then the batch of one (retried while the registers are down)."""
    from integrations.verification.client import RegisterError

    try:
        with exclusive(f"selfservice.card_checks:{application_id}", ttl=600) as acquired:
            if not acquired:
                return "busy"
            return cards.run_checks(
                application_id,
                population=gateways.population_register(),
                social_security=gateways.social_security_register(),
            )
    except RegisterError as exc:
        db.session.rollback()
        if (
            self.request.called_directly
            or self.request.retries >= CHECK_RETRIES
            or self.app.conf.task_always_eager
            or self.request.is_eager
        ):
            cards.give_up(application_id, "校验服务暂不可用，请稍后重新申请")
            return "gave_up"
        raise self.retry(countdown=30 * 2**self.request.retries) from exc
    finally:
        db.session.remove()
