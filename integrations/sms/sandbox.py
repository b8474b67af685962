"""Loopback sandbox of Tencent Cloud SMS (``sms.tencentcloudapi.com``, ``SendSms``
2021-01-11): what the official SDK sends, checked; nothing is ever sent.

``POST /`` with ``X-TC-Action: SendSms``: the TC3-HMAC-SHA256 signature is checked with
the configured SecretId/SecretKey (``AuthFailure.SignatureFailure``,
``AuthFailure.SecretIdNotFound``, a timestamp more than 300 s away
``AuthFailure.SignatureExpire``); SdkAppId, SignName and TemplateId must be the configured
ones (``FailedOperation.…``). Each number gets a status: ``+8613…``-style mainland
numbers ``Ok`` (the message recorded), a number ending in ``0000`` is refused
(``LimitExceeded.PhoneNumberDailyLimit``), anything else
``InvalidParameterValue.IncorrectPhoneNumber``.

The demo reads what was "sent": ``GET /sandbox/messages?mobile=138…`` (JSON, newest first)
and the page ``GET /sandbox/sms`` (the latest messages, codes in clear: a test double).
Tests steer it through ``app.extensions["sms_sandbox"]`` (``messages``, ``fail_next(n)``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from html import escape

from flask import Flask, Response, jsonify, request

SIGNED = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)"
    r"/tc3_request, SignedHeaders=(?P<headers>[a-z;-]+), Signature=(?P<sig>[0-9a-f]{64})"
)


class SmsSandbox:
    def __init__(self, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 template_id: str):  # fmt: skip
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id
        self.messages: list[dict] = []
        self._failures = 0
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1) -> None:
        with self._lock:
            self._failures += count

    def take_failure(self) -> bool:
        with self._lock:
            if self._failures:
                self._failures -= 1
                return True
            return False

    def record(self, item: dict) -> None:
        with self._lock:
            self.messages.append(item)

    def for_mobile(self, mobile: str) -> list[dict]:
        with self._lock:
            return [m for m in reversed(self.messages) if m["mobile"] == mobile]

    def signature_ok(self, raw: bytes) -> str | None:
        """None when the request is signed right; else the error code."""
        found = SIGNED.fullmatch(request.headers.get("Authorization", ""))
        if not found:
            return "AuthFailure.SignatureFailure"
        if found["id"] != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        stamp = request.headers.get("X-TC-Timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > 300:
            return "AuthFailure.SignatureExpire"
        canonical = "\n".join([
            request.method, "/", "",
            f"content-type:{request.headers.get('Content-Type', '')}\nhost:{request.host}\n",
            "content-type;host", hashlib.sha256(raw).hexdigest(),
        ])  # fmt: skip
        scope = f"{found['date']}/{found['service']}/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", stamp, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])  # fmt: skip

        def mac(key: bytes, text: str) -> bytes:
            return hmac.new(key, text.encode(), hashlib.sha256).digest()

        key = mac(mac(mac(("TC3" + self.secret_key).encode(), found["date"]),
                      found["service"]), "tc3_request")  # fmt: skip
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(expected, found["sig"]) else (
            "AuthFailure.SignatureFailure")  # fmt: skip


def create_sms_sandbox(*, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                       template_id: str) -> Flask:  # fmt: skip
    app = Flask("sms_sandbox")
    app.json.ensure_ascii = False
    box = SmsSandbox(secret_id, secret_key, sdk_app_id, sign_name, template_id)
    app.extensions["sms_sandbox"] = box

    def error(code: str, message: str):
        return jsonify({"Response": {"Error": {"Code": code, "Message": message},
                                     "RequestId": secrets.token_hex(8)}})  # fmt: skip

    @app.post("/")
    def api():
        raw = request.get_data()
        if request.headers.get("X-TC-Action") != "SendSms":
            return error("InvalidAction", "only SendSms is served here")
        if request.headers.get("X-TC-Version") != "2021-01-11":
            return error("InvalidParameter", "version")
        bad = box.signature_ok(raw)
        if bad:
            return error(bad, "signature check failed")
        if box.take_failure():
            return error("InternalError", "sandbox failure"), 200
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return error("InvalidParameter", "body is not JSON")
        if body.get("SmsSdkAppId") != box.sdk_app_id:
            return error("FailedOperation.InsufficientBalanceInSmsPackage", "unknown SdkAppId")
        if body.get("SignName") != box.sign_name:
            return error("FailedOperation.SignatureIncorrectOrUnapproved", "sign")
        if body.get("TemplateId") != box.template_id:
            return error("FailedOperation.TemplateIncorrectOrUnapproved", "template")
        params = body.get("TemplateParamSet") or []
        statuses = []
        for number in body.get("PhoneNumberSet") or []:
            serial = secrets.token_hex(10)
            ok = isinstance(number, str) and re.fullmatch(r"\+861\d{10}", number)
            if ok and number.endswith("0000"):
                statuses.append(_status(number, serial, "LimitExceeded.PhoneNumberDailyLimit",
                                        "the number reached its daily limit"))  # fmt: skip
            elif ok:
                box.record({"mobile": number[3:], "params": list(params), "serial": serial,
                            "at": datetime.now(UTC).isoformat(timespec="seconds")})  # fmt: skip
                statuses.append(_status(number, serial, "Ok", "send success"))
            else:
                statuses.append(_status(str(number), "", "InvalidParameterValue.IncorrectPhoneNumber",
                                        "incorrect phone number"))  # fmt: skip
        return jsonify({"Response": {"SendStatusSet": statuses, "RequestId": secrets.token_hex(8)}})

    @app.get("/sandbox/messages")
    def messages():
        mobile = request.args.get("mobile", "")
        return jsonify({"messages": box.for_mobile(mobile)[:20]})

    @app.get("/sandbox/sms")
    def page():
        with box._lock:
            latest = list(reversed(box.messages))[:30]
        rows = "".join(
            f"<tr><td>{escape(m['at'])}</td><td>{escape(m['mobile'])}</td>"
            f"<td>{escape(' / '.join(m['params']))}</td></tr>"
            for m in latest
        )
        html = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>短信沙箱</title>'
            "</head><body><main><h1>短信沙箱：已“发送”的短信</h1>"
            "<p>仅用于演示与测试，不会真正发送短信。</p>"
            "<table><thead><tr><th>时间</th><th>手机号</th><th>模板参数（验证码 / 有效分钟）</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></main></body></html>"
        )
        return Response(html, mimetype="text/html")

    return app


def _status(number: str, serial: str, code: str, message: str) -> dict:
    return {"SerialNo": serial, "PhoneNumber": number, "Fee": 1 if code == "Ok" else 0,
            "SessionContext": "", "Code": code, "Message": message, "IsoCode": "CN"}  # fmt: skip
