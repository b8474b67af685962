"""Outside parties: one client each (bank/, verification/), the bank's inbound callback
routes, and the loopback sandboxes used by the demo and the tests."""

from __future__ import annotations

from flask_smorest import Api

from unioncard.web import document_security


def register(api: Api) -> None:
    from .bank.routes import blp as bank_callbacks
    from .wechatpay.routes import blp as wechatpay_notifications

    document_security(bank_callbacks, [{"bankSignature": []}])
    document_security(wechatpay_notifications, [{"wechatpaySignature": []}])
    api.register_blueprint(bank_callbacks)
    api.register_blueprint(wechatpay_notifications)
