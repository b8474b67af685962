"""The WeChat Pay sandbox's HTTP face: the v3 routes, our request signatures checked, every
answer signed; the rules and the state are in ``sandbox.WeChatPaySandbox``."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import signing
from .sandbox import WeChatPaySandbox


def create_wechatpay_sandbox(**options) -> Flask:
    """The sandbox app; ``options`` go to ``WeChatPaySandbox``."""
    app = Flask("wechatpay_sandbox")
    app.json.ensure_ascii = False
    state = app.extensions["wechatpay_sandbox"] = WeChatPaySandbox(**options)

    def answer(status: int, body: dict | None) -> Response:
        text = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        headers = state.sign(text.encode()) if status < 300 else {}
        response = Response(text, status=status, mimetype="application/json" if text else None)
        response.headers.update(headers)
        return response

    def body_json():
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            return None

    @app.before_request
    def check_signature():
        if request.path.startswith("/sandbox/"):
            return None
        params = signing.parse_authorization(request.headers.get("Authorization"))
        if params is None:
            return answer(401, {"code": "SIGN_ERROR", "message": "缺少或无法识别的 Authorization"})
        if params["mchid"] != state.mch_id or params["serial_no"] != state.merchant_serial:
            return answer(401, {"code": "SIGN_ERROR", "message": "商户号或证书序列号不符"})
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        url = raw or (request.full_path if request.query_string else request.path)
        text = request.get_data().decode("utf-8", errors="replace")
        message = signing.request_message(
            request.method, url, params["timestamp"], params["nonce_str"], text
        )
        stamp = params["timestamp"]
        fresh = stamp.isdigit() and abs(int(stamp) - datetime.now().timestamp()) <= 300
        if not fresh or not signing.verify(state.merchant_public_key, message, params["signature"]):
            return answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        if state.take_failure():
            return answer(503, {"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"})
        return None

    @app.post("/v3/pay/transactions/jsapi")
    def jsapi():
        return answer(*state.place(body_json()))

    @app.get("/v3/pay/transactions/out-trade-no/<no>")
    def query(no):
        if request.args.get("mchid") != state.mch_id:
            return answer(400, {"code": "PARAM_ERROR", "message": "mchid 不符"})
        return answer(*state.query(no))

    @app.post("/v3/pay/transactions/out-trade-no/<no>/close")
    def close(no):
        body = body_json()
        if not isinstance(body, dict) or body.get("mchid") != state.mch_id:
            return answer(400, {"code": "PARAM_ERROR", "message": "mchid 不符"})
        return answer(*state.close_order(no))

    @app.post("/v3/refund/domestic/refunds")
    def refund():
        return answer(*state.refund(body_json()))

    @app.get("/v3/refund/domestic/refunds/<no>")
    def query_refund(no):
        return answer(*state.query_refund(no))

    @app.post("/sandbox/pay/<no>")
    def pay(no):
        status, body = state.pay(no)
        return answer(status, body)

    @app.post("/sandbox/pay/<no>/again")
    def pay_again(no):
        return answer(*state.pay_again(no))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return answer(exc.code or 500, {"code": "PARAM_ERROR", "message": exc.description})

    return app
