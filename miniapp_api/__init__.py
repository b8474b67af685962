"""The members' mini-program API (小程序接口), prefix ``/api/miniapp/v1``.

Every blueprint is built with ``security.member_blueprint`` (member token, rate limits,
Idempotency-Key); the contract is ``shared/spec/contracts.md``.
"""

from __future__ import annotations

from flask_smorest import Api

from . import auth, card, insurance, me, membership

BLUEPRINTS: tuple = (auth.blp, me.blp, membership.blp, card.blp, insurance.blp)


def register(api: Api) -> None:
    if "memberToken" not in api.spec.components.security_schemes:
        api.spec.components.security_scheme("memberToken", {"type": "http", "scheme": "bearer"})
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
