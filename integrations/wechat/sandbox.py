"""Loopback sandbox of the WeChat server API (``api.weixin.qq.com``) for the mini-program.

It speaks WeChat's own protocol (query strings, JSON answers with ``errcode``/``errmsg``, HTTP
200 even for errors) so the real client (wechatpy, ``integrations.wechat.client``) runs
against it unchanged; point ``WECHAT_API_BASE_URL`` at it.

================================================  ===============================================
request                                           answer
================================================  ===============================================
``GET /cgi-bin/token?grant_type=client_credential  ``{access_token, expires_in: 7200}``, a new
&appid=&secret=``                                 token each time (older ones stay valid until
                                                  ``expire_tokens()``); wrong appid 40013, wrong
                                                  secret 40125, other grant_type 40002
``GET /sns/jscode2session?appid=&secret=          code ``demo-<anything>``: ``{openid, unionid,
&js_code=&grant_type=authorization_code``         session_key}``, openid ``o`` + 27 characters
                                                  derived from the code (same code, same person;
                                                  codes may be reused here, unlike WeChat);
                                                  ``bad-code`` or anything else: 40029 invalid
                                                  code; wrong appid/secret 40013/40125
``POST /wxa/business/getuserphonenumber           ``{"code": "phone-13812345678"}``: that
?access_token=``                                  number in ``phone_info`` (purePhoneNumber,
                                                  phoneNumber, countryCode 86); other codes 40029
``POST /cgi-bin/message/subscribe/send            records ``{touser, template_id, page, data}``
?access_token=``                                  (``sandbox.messages``); touser in
                                                  ``sandbox.refusing``: 43101; ``data`` not
                                                  ``{key: {"value": str}}``: 47003
any call with an unknown or expired token         40001 invalid credential (the client fetches
                                                  a new token and repeats the call once)
================================================  ===============================================

Tests steer it through ``app.extensions["wechat_sandbox"]`` (a ``WeChatSandbox``):
``expire_tokens()``, ``fail_next(n, status)`` (answer HTTP ``status`` n times), ``messages``,
``token_fetches``, ``refusing``, ``hosts`` (every Host header seen).
"""

from __future__ import annotations

import hashlib
import secrets
import threading

from flask import Flask, jsonify, request

PHONE_PREFIX = "phone-"
CODE_PREFIX = "demo-"


def openid_for(code: str, app_id: str) -> str:
    """The openid the sandbox gives for a ``demo-…`` code (deterministic)."""
    digest = hashlib.sha256(f"{app_id}:{code}".encode()).hexdigest()
    return "o" + digest[:27]


class WeChatSandbox:
    def __init__(self, app_id: str, app_secret: str):
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens: set[str] = set()
        self.token_fetches = 0
        self.messages: list[dict] = []
        self.refusing: set[str] = set()
        self.hosts: list[str] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()

    def expire_tokens(self) -> None:
        """Every token issued so far becomes invalid (40001 on its next use)."""
        with self._lock:
            self.tokens.clear()

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def issue_token(self) -> str:
        token = "sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens.add(token)
            self.token_fetches += 1
        return token

    def valid(self, token: str | None) -> bool:
        with self._lock:
            return bool(token) and token in self.tokens

    def record(self, message: dict) -> None:
        with self._lock:
            self.messages.append(message)


def _err(code: int, msg: str):
    return jsonify({"errcode": code, "errmsg": msg})


def create_wechat_sandbox(*, app_id: str, app_secret: str) -> Flask:
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    box = WeChatSandbox(app_id, app_secret)
    app.extensions["wechat_sandbox"] = box

    @app.before_request
    def _steer():
        box.hosts.append(request.host)
        status = box.next_failure()
        if status:
            return jsonify({"errcode": -1, "errmsg": "system error"}), status
        return None

    def credentials_error():
        if request.args.get("appid") != box.app_id:
            return _err(40013, "invalid appid")
        if request.args.get("secret") != box.app_secret:
            return _err(40125, "invalid appsecret")
        return None

    @app.get("/cgi-bin/token")
    def token():
        if request.args.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        bad = credentials_error()
        if bad:
            return bad
        return jsonify({"access_token": box.issue_token(), "expires_in": 7200})

    @app.get("/sns/jscode2session")
    def code2session():
        bad = credentials_error()
        if bad:
            return bad
        code = request.args.get("js_code") or ""
        if request.args.get("grant_type") != "authorization_code":
            return _err(40002, "invalid grant_type")
        if not code.startswith(CODE_PREFIX) or len(code) <= len(CODE_PREFIX):
            return _err(40029, "invalid code")
        openid = openid_for(code, box.app_id)
        return jsonify(
            {
                "openid": openid,
                "unionid": "u" + hashlib.sha256(openid.encode()).hexdigest()[:27],
                "session_key": secrets.token_urlsafe(16),
            }
        )

    def body() -> dict:
        data = request.get_json(force=True, silent=True)  # WeChat ignores Content-Type
        return data if isinstance(data, dict) else {}

    @app.post("/wxa/business/getuserphonenumber")
    def phone():
        if not box.valid(request.args.get("access_token")):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        code = body().get("code")
        number = code[len(PHONE_PREFIX) :] if isinstance(code, str) else ""
        if not (code or "").startswith(PHONE_PREFIX) or not number.isdigit():
            return _err(40029, "invalid code")
        return jsonify(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": number,
                    "purePhoneNumber": number,
                    "countryCode": "86",
                    "watermark": {"timestamp": 0, "appid": box.app_id},
                },
            }
        )

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        if not box.valid(request.args.get("access_token")):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        data = body()
        fields = data.get("data")
        if not data.get("touser") or not data.get("template_id"):
            return _err(40003, "invalid openid or template_id")
        if not isinstance(fields, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in fields.values()
        ):
            return _err(47003, "argument invalid! data.value invalid")
        if data["touser"] in box.refusing:
            return _err(43101, "user refuse to accept the msg")
        box.record(
            {
                "touser": data["touser"],
                "template_id": data["template_id"],
                "page": data.get("page"),
                "data": fields,
            }
        )
        return jsonify({"errcode": 0, "errmsg": "ok"})

    return app
