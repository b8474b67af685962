"""The outside parties as configured: one client each, built from the app's config."""

from __future__ import annotations

from flask import current_app

from integrations.bank.client import BankClient
from integrations.verification.client import (
    PopulationRegisterClient,
    SocialSecurityRegisterClient,
)


def bank() -> BankClient:
    cfg = current_app.config
    return BankClient(cfg["BANK_API_URL"], cfg["BANK_CLIENT_ID"], cfg["BANK_CLIENT_SECRET"])


def population_register() -> PopulationRegisterClient:
    cfg = current_app.config
    return PopulationRegisterClient(
        cfg["POPULATION_API_URL"], chunk_size=cfg["REGISTER_CHUNK_SIZE"]
    )


def social_security_register() -> SocialSecurityRegisterClient:
    cfg = current_app.config
    return SocialSecurityRegisterClient(
        cfg["SOCIAL_SECURITY_API_URL"], chunk_size=cfg["REGISTER_CHUNK_SIZE"]
    )


CHECK_RETRIES = 5


def with_registers(task, *, lock: str, ttl: int, work, give_up):
    """The body of a register-check task: ``work(population, social_security)`` under the lock
    ``lock``; while the registers are down, retry with back-off (30 s, 60 s, ...), and after
    ``CHECK_RETRIES`` (or when run eagerly) ``give_up()`` instead. Returns ``"busy"`` when
    another run holds the lock, else what ``work`` or ``give_up`` returns."""
    from integrations.verification.client import RegisterError

    from ..extensions import db
    from ..kvstore import exclusive

    try:
        with exclusive(lock, ttl=ttl) as acquired:
            if not acquired:
                return "busy"
            return work(population_register(), social_security_register())
    except RegisterError as exc:
        db.session.rollback()
        request = task.request
        if (
            request.called_directly
            or request.retries >= CHECK_RETRIES
            or task.app.conf.task_always_eager
            or request.is_eager
        ):
            return give_up()
        raise task.retry(countdown=30 * 2**request.retries) from exc
    finally:
        db.session.remove()
