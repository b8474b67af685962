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
