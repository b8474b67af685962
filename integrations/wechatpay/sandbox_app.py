"""The WeChat Pay sandbox's HTTP face: the v3 routes, our request signatures checked, every
answer signed; the rules and the state are in ``sandbox.WeChatPaySandbox``."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, redirect, request
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

    @app.get("/sandbox/pay-sheet")
    def pay_sheet():
        """Stands in for WeChat's pay sheet (the JSAPI 收银台) in an ordinary browser."""
        order = state.by_prepay_id(request.args.get("prepay_id", ""))
        back = request.args.get("return_url", "")
        if order is None or urlsplit(back).scheme not in ("http", "https"):
            return _sheet("支付参数错误", "<p>订单不存在或返回地址无效。</p>"), 400
        amount = f"{order.total / 100:.2f}"
        if order.trade_state != "NOTPAY":
            text = "该订单已支付" if order.trade_state != "CLOSED" else "该订单已关闭"
            return _sheet(
                "微信支付（沙箱）", f'<p>{text}。</p><p><a href="{escape(back)}">返回</a></p>'
            )
        form = (
            f'<p class="desc">{escape(order.payload.get("description", ""))}</p>'
            f'<p class="amount">￥{amount}</p>'
            '<form method="post" action="/sandbox/pay-sheet">'
            f'<input type="hidden" name="prepay_id" value="{escape(order.prepay_id)}">'
            f'<input type="hidden" name="return_url" value="{escape(back)}">'
            '<button type="submit">确认支付</button></form>'
            f'<p><a href="{escape(back)}">取消支付</a></p>'
        )
        return _sheet("微信支付（沙箱）", form)

    @app.post("/sandbox/pay-sheet")
    def pay_sheet_confirm():
        """确认支付: the order is paid and the signed notification sent; back to the hall."""
        order = state.by_prepay_id(request.form.get("prepay_id", ""))
        back = request.form.get("return_url", "")
        if order is None or urlsplit(back).scheme not in ("http", "https"):
            return _sheet("支付参数错误", "<p>订单不存在或返回地址无效。</p>"), 400
        no = order.payload["out_trade_no"]
        status, _ = state.pay(no)
        if status != 200:
            return _sheet(
                "支付失败", f'<p>订单已关闭。</p><p><a href="{escape(back)}">返回</a></p>'
            ), 409
        sep = "&" if urlsplit(back).query else "?"
        return redirect(back + sep + urlencode({"out_trade_no": no}), 303)

    @app.post("/sandbox/pay/<no>/again")
    def pay_again(no):
        return answer(*state.pay_again(no))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return answer(exc.code or 500, {"code": "PARAM_ERROR", "message": exc.description})

    return app


def _sheet(title: str, content: str) -> Response:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>body{{font:18px/1.6 sans-serif;margin:16px;"
        "color:#1a1a1a;text-align:center}.amount{font-size:36px;font-weight:bold}"
        "button{font-size:20px;padding:12px 48px;background:#056b2e;color:#fff;border:0;"
        "border-radius:6px}a{color:#0a4f9e}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>"
        "<p>此页面代替微信支付的付款弹窗，仅用于演示与测试，不会扣款。</p>"
        f"{content}</main></body></html>"
    )
    return Response(html, mimetype="text/html")
