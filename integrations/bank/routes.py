"""The bank's signed callbacks (inbound), prefix ``/api/integrations/bank/v1``.

Every request is checked (bank id, timestamp window, signature, nonce replay in Redis)
before its body is read as JSON; the card rules themselves live in ``unioncard.cards``.
"""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from integrations.signing import SignatureError, verify_request
from unioncard.cards import callbacks
from unioncard.errors import NotAuthenticated
from unioncard.kvstore import store
from unioncard.webfields import Records, Text

blp = Blueprint(
    "bank_callbacks",
    __name__,
    url_prefix="/api/integrations/bank/v1",
    description="合作银行回调（签名）",
)


def _remember_nonce(bank_id: str, nonce: str, ttl: int) -> bool:
    return store().set(f"bank:nonce:{bank_id}:{nonce}", "1", ttl=ttl, nx=True)


def check_signature() -> str:
    cfg = current_app.config
    try:
        return verify_request(
            request.headers,
            request.method,
            request.path,
            request.get_data(cache=True),
            secret_for=cfg["BANK_CALLBACK_SECRETS"].get,
            remember_nonce=_remember_nonce,
            window=cfg["BANK_CALLBACK_WINDOW_SECONDS"],
        )
    except SignatureError as exc:
        raise NotAuthenticated(exc.message) from None


@blp.before_request
def _signed_only() -> None:
    check_signature()  # returns the bank id; a before_request must return None


class Result(Schema):
    result_id = Text(required=True, validate=validate.Length(1, 120))
    member_no = Text(required=True, validate=validate.Length(1, 10))
    status = Text(required=True, validate=validate.OneOf(["success", "failure"]))
    card_no = Text(allow_none=True, validate=validate.Length(max=30))
    reason_code = Text(allow_none=True, validate=validate.Length(max=20))
    reason = Text(allow_none=True, validate=validate.Length(max=200))


class CardResults(Schema):
    batch_no = Text(required=True, validate=validate.Length(1, 30))
    feedback_at = Text(required=True)
    results = Records(Result, required=True, validate=validate.Length(1, 5000))


class Event(Schema):
    event_id = Text(required=True, validate=validate.Length(1, 120))
    member_no = Text(required=True, validate=validate.Length(1, 10))
    card_no = Text(required=True, validate=validate.Length(1, 30))
    type = Text(required=True, validate=validate.OneOf(["produced", "delivered", "activated"]))
    at = Text(required=True)


class CardEvents(Schema):
    events = Records(Event, required=True, validate=validate.Length(1, 5000))


class Applied(Schema):
    applied = fields.Integer()
    duplicates = fields.Integer()
    ignored = fields.Integer()
    deferred = fields.Integer()


@blp.post("/callbacks/card-results")
@blp.arguments(CardResults)
@blp.response(200, Applied)
def card_results(body):
    """办卡结果回调（按 result_id 幂等）"""
    return callbacks.apply_results(body)


@blp.post("/callbacks/card-events")
@blp.arguments(CardEvents)
@blp.response(200, Applied)
def card_events(body):
    """制卡、送达、激活通知（按 event_id 幂等）"""
    return callbacks.apply_events(body)
