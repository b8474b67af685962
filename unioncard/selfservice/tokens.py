"""Member session tokens (小程序登录态): opaque, stored hashed with a TTL in the kvstore
(Redis in production), like the staff tokens; ``MemberUser.token_version`` revokes all."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app

from ..kvstore import store

PREFIX = "member:tok:"


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def issue(user_id: int, token_version: int) -> tuple[str, int]:
    token = secrets.token_urlsafe(32)
    ttl = int(current_app.config["MINIAPP_TOKEN_TTL"])
    store().set(_key(token), f"{user_id}:{token_version}", ttl=ttl)
    return token, ttl


def resolve(token: str) -> tuple[int, int] | None:
    if len(token) > 200:
        return None
    value = store().get(_key(token))
    if not value:
        return None
    user_id, _, version = value.partition(":")
    return int(user_id), int(version)


def revoke(token: str) -> None:
    store().delete(_key(token))
