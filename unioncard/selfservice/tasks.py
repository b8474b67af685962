"""Celery tasks of the member's own path: the register checks of a card application."""

from __future__ import annotations

from ..cards import gateways
from ..tasks_runtime import celery
from . import cards


@celery.task(
    name="selfservice.check_card_application", bind=True, max_retries=gateways.CHECK_RETRIES
)
def check_card_application(self, application_id: int) -> str:
    """个人办卡申请的系统校验, then the batch of one (retried while the registers are down)."""
    return gateways.with_registers(
        self,
        lock=f"selfservice.card_checks:{application_id}",
        ttl=600,
        work=lambda population, social: cards.run_checks(
            application_id, population=population, social_security=social
        ),
        give_up=lambda: (
            cards.give_up(application_id, "校验服务暂不可用，请稍后重新申请") or "gave_up"
        ),
    )
