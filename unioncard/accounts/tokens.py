"""Staff session tokens: opaque, stored hashed with a TTL (Redis in production)."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app

from ..kvstore import store

PREFIX = "staff:tok:"


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def issue(account_id: int, token_version: int) -> tuple[str, int]:
    token = secrets.token_urlsafe(32)
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    store().set(_key(token), f"{account_id}:{token_version}", ttl=ttl)
    return token, ttl


def resolve(token: str) -> tuple[int, int] | None:
    value = store().get(_key(token))
    if not value:
        return None
    account_id, _, version = value.partition(":")
    return int(account_id), int(version)


def revoke(token: str) -> None:
    store().delete(_key(token))
