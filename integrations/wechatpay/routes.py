"""WeChat Pay's notifications (支付结果通知、退款结果通知), inbound, prefix
``/api/integrations/wechatpay/v1``.

Each notification is checked (platform signature, serial, timestamp) and its resource
decrypted BEFORE anything is read or changed: a bad signature answers 401, a signed body we
cannot open 400, both changing nothing. Then ``payments.settlement`` applies it once by its
id. WeChat Pay wants 200/204 for success and otherwise ``{"code": "FAIL", "message": …}``
with a 4xx/5xx status (it retries: 15 s, 15 s, 30 s, 3 min … over 24 h).
"""

from __future__ import annotations

import logging

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from integrations.wechatpay.client import NotificationInvalid, NotificationUndecryptable
from unioncard.errors import DomainError
from unioncard.extensions import db
from unioncard.payments import gateway, settlement
from unioncard.webfields import BaseSchema, Text

log = logging.getLogger(__name__)

blp = Blueprint(
    "wechatpay_notifications",
    __name__,
    url_prefix="/api/integrations/wechatpay/v1",
    description="微信支付通知（平台签名、AES-256-GCM 加密）",
)


class NotifyFail(BaseSchema):
    """WeChat Pay's failure answer; it retries the notification later."""

    code = Text(validate=validate.OneOf(["FAIL"]), metadata={"description": "固定为 FAIL"})
    status = Text()
    message = Text()
    errors = fields.Dict()


# every status ``_fail`` answers: the signature (401), the body (400), the domain's refusals
FAIL_STATUSES = (400, 401, 403, 404, 409, 422, 423, 429, 500)


def _documented(view):
    view = blp.alt_response(204, description="已处理（或重复通知，已忽略）", success=True)(view)
    for status in FAIL_STATUSES:
        view = blp.alt_response(
            status, schema=NotifyFail, description="处理失败，微信支付稍后重试"
        )(view)
    return view


def _fail(status: int, message: str):
    """WeChat Pay reads ``code``/``message``; ``status``/``errors`` keep our one error shape."""
    reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}
    response = jsonify(code="FAIL", status=reason.get(status, "Error"), message=message, errors={})
    response.status_code = status
    return response


def _receive(kinds: tuple[str, ...]):
    try:
        note = gateway.client().parse_notification(request.headers, request.get_data())
    except NotificationInvalid as exc:
        log.warning("WeChat Pay notification refused: %s", exc.message)
        return _fail(401, exc.message)
    except NotificationUndecryptable as exc:
        log.warning("WeChat Pay notification undecryptable: %s", exc.message)
        return _fail(400, exc.message)
    if not note.event_type.startswith(kinds):
        return _fail(400, f"该地址不接收 {note.event_type} 通知")
    try:
        outcome = settlement.apply_notification(note)
    except DomainError as exc:
        db.session.rollback()
        log.warning("WeChat Pay notification %s not applied: %s", note.id, exc.message)
        return _fail(exc.status if exc.status < 500 else 500, exc.message)
    log.info("WeChat Pay notification %s (%s): %s", note.id, note.event_type, outcome)
    return "", 204


@blp.post("/notify")
@_documented
def notify():
    """支付结果通知（TRANSACTION.SUCCESS；也接收退款通知）"""
    return _receive(("TRANSACTION.", "REFUND."))


@blp.post("/refund-notify")
@_documented
def refund_notify():
    """退款结果通知（REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED）"""
    return _receive(("REFUND.",))
