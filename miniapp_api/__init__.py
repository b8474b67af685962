"""The members' mini-program API (小程序接口), prefix ``/api/miniapp/v1``.

Every blueprint is built with ``security.member_blueprint`` (member token, rate limits,
Idempotency-Key); the contract is ``shared/spec/contracts.md``.
"""

from __future__ import annotations

from flask_smorest import Api

from unioncard.web import document_security

from . import auth, card, hall, insurance, me, membership, messages
from .security import SECURITY

BLUEPRINTS: tuple = (
    auth.blp,
    me.blp,
    membership.blp,
    card.blp,
    insurance.blp,
    hall.blp,
    messages.blp,
)


def register(api: Api) -> None:
    for blp in BLUEPRINTS:
        document_security(blp, SECURITY)
        api.register_blueprint(blp)
