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

The official account (公众号) of the service hall is a second app of the same sandbox
(``oa_app_id``/``oa_app_secret``); its web OAuth (网页授权) follows the same rules:

================================================  ===============================================
``GET /connect/oauth2/authorize?appid=            without ``person``: a page that lets the visitor
&redirect_uri=&response_type=code&scope=          pick one of ``demo_people`` (the demo's WeChat
&state=[&person=demo-…]``                         users); with ``person=demo-…``: 302 to
                                                  ``redirect_uri?code=…&state=…``, a fresh code
                                                  bound to that person (single use, 5 minutes)
``GET /sns/oauth2/access_token?appid=&secret=     ``{access_token, openid, scope, expires_in}``
&code=&grant_type=authorization_code``            (+ ``unionid`` for snsapi_userinfo); a used
                                                  code 40163, an unknown one 40029
``GET /sns/userinfo?access_token=&openid=``       ``{openid, nickname, unionid?}``
``GET /cgi-bin/user/info?access_token=&openid=``  ``{subscribe: 1, openid, unionid?}`` (a user of
                                                  the official account)
``POST /cgi-bin/message/template/send``           records the template message
                                                  (``sandbox.templates``); touser in ``refusing``:
                                                  43004 (not following)
================================================  ===============================================

The person behind a code is the code itself for ``jscode2session`` (``demo-alice``) and
the ``person`` picked on the authorize page: openid = ``openid_for(person, appid)`` (one per
app), unionid = ``unionid_for(person)`` (the same in both apps) - except a person whose name
contains ``nounion`` (an official account not bound to the open platform): no unionid.

Tests steer it through ``app.extensions["wechat_sandbox"]`` (a ``WeChatSandbox``):
``expire_tokens()``, ``fail_next(n, status)`` (answer HTTP ``status`` n times), ``messages``,
``token_fetches``, ``refusing``, ``hosts`` (every Host header seen).
"""

from __future__ import annotations

import secrets
import threading
import time
from html import escape
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, jsonify, redirect, request

from .people import CODE_PREFIX, openid_for, unionid_for

PHONE_PREFIX = "phone-"
__all__ = ["CODE_PREFIX", "WeChatSandbox", "create_wechat_sandbox", "openid_for", "unionid_for"]


OAUTH_CODE_TTL = 300  # seconds


class WeChatSandbox:
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        oa_app_id: str = "",
        oa_app_secret: str = "",
        demo_people: tuple = (),
    ):
        self.app_id, self.app_secret = app_id, app_secret
        self.oa_app_id = oa_app_id
        self.secrets = {app_id: app_secret} | ({oa_app_id: oa_app_secret} if oa_app_id else {})
        self.demo_people = tuple(demo_people)  # (person, label) pairs for the authorize page
        self.tokens: dict[str, str] = {}  # access token → appid
        self.token_fetches = 0
        self.messages: list[dict] = []
        self.templates: list[dict] = []  # official-account template messages
        self.oauth_codes: dict[str, tuple[str, str, str, float]] = {}  # code → person, …
        self.web_tokens: dict[str, tuple[str, str]] = {}  # sns access token → person, appid
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

    def issue_token(self, app_id: str = "") -> str:
        token = "sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = app_id or self.app_id
            self.token_fetches += 1
        return token

    def valid(self, token: str | None, app_id: str | None = None) -> bool:
        with self._lock:
            owner = self.tokens.get(token or "")
            return owner is not None and (app_id is None or owner == app_id)

    def oauth_code(self, person: str, scope: str, app_id: str) -> str:
        code = "oc" + secrets.token_urlsafe(18)
        with self._lock:
            self.oauth_codes[code] = (person, scope, app_id, time.monotonic())
        return code

    def take_oauth_code(self, code: str, app_id: str) -> tuple[str, str] | str:
        """(person, scope), or "used"/"invalid"; a code works once, within 5 minutes."""
        with self._lock:
            item = self.oauth_codes.get(code)
            if item is None or item[2] != app_id:
                return "invalid"
            if item[3] is None:
                return "used"
            if time.monotonic() - item[3] > OAUTH_CODE_TTL:
                return "invalid"
            self.oauth_codes[code] = (*item[:3], None)
            return item[0], item[1]

    def record(self, message: dict) -> None:
        with self._lock:
            self.messages.append(message)


def _err(code: int, msg: str):
    return jsonify({"errcode": code, "errmsg": msg})


def create_wechat_sandbox(
    *,
    app_id: str,
    app_secret: str,
    oa_app_id: str = "",
    oa_app_secret: str = "",
    demo_people: tuple = (),
) -> Flask:
    app = Flask("wechat_sandbox")
    app.json.ensure_ascii = False
    box = WeChatSandbox(app_id, app_secret, oa_app_id, oa_app_secret, demo_people)
    app.extensions["wechat_sandbox"] = box

    @app.before_request
    def _steer():
        box.hosts.append(request.host)
        status = box.next_failure()
        if status:
            return jsonify({"errcode": -1, "errmsg": "system error"}), status
        return None

    def credentials_error(app_id: str | None = None):
        given = request.args.get("appid")
        if given not in box.secrets or (app_id is not None and given != app_id):
            return _err(40013, "invalid appid")
        if request.args.get("secret") != box.secrets[given]:
            return _err(40125, "invalid appsecret")
        return None

    @app.get("/cgi-bin/token")
    def token():
        if request.args.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        bad = credentials_error()
        if bad:
            return bad
        token = box.issue_token(request.args["appid"])
        return jsonify({"access_token": token, "expires_in": 7200})

    @app.get("/sns/jscode2session")
    def code2session():
        bad = credentials_error(box.app_id)
        if bad:
            return bad
        code = request.args.get("js_code") or ""
        if request.args.get("grant_type") != "authorization_code":
            return _err(40002, "invalid grant_type")
        if not code.startswith(CODE_PREFIX) or len(code) <= len(CODE_PREFIX):
            return _err(40029, "invalid code")
        answer = {"openid": openid_for(code, box.app_id), "session_key": secrets.token_urlsafe(16)}
        if unionid_for(code):
            answer["unionid"] = unionid_for(code)
        return jsonify(answer)

    def body() -> dict:
        data = request.get_json(force=True, silent=True)  # WeChat ignores Content-Type
        return data if isinstance(data, dict) else {}

    @app.post("/wxa/business/getuserphonenumber")
    def phone():
        if not box.valid(request.args.get("access_token"), box.app_id):
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
        data = body()
        refused = _message_refused(box, box.app_id, data, (47003, "argument invalid! data.value invalid"),
                                   (43101, "user refuse to accept the msg"))  # fmt: skip
        if refused:
            return refused
        fields = data["data"]
        box.record(
            {
                "touser": data["touser"],
                "template_id": data["template_id"],
                "page": data.get("page"),
                "data": fields,
            }
        )
        return jsonify({"errcode": 0, "errmsg": "ok"})

    _official_account(app, box, credentials_error, body)
    return app


def _official_account(app: Flask, box: WeChatSandbox, credentials_error, body) -> None:
    """The official account's web OAuth, user info and template messages."""

    @app.get("/connect/oauth2/authorize")
    def authorize():
        args = request.args
        target = args.get("redirect_uri") or ""
        if args.get("appid") not in box.secrets or args.get("appid") == box.app_id:
            return _page(
                "参数错误", "<p>appid 无效（10003 redirect_uri 域名与后台配置不一致）</p>"
            ), 400
        if urlsplit(target).scheme not in ("http", "https") or args.get("response_type") != "code":
            return _page("参数错误", "<p>redirect_uri 或 response_type 无效</p>"), 400
        scope = args.get("scope") or "snsapi_base"
        if scope not in ("snsapi_base", "snsapi_userinfo"):
            return _page("参数错误", "<p>scope 参数错误</p>"), 400
        person = args.get("person") or ""
        if not person:
            return _chooser(box, args)
        if not person.startswith(CODE_PREFIX) or len(person) <= len(CODE_PREFIX):
            return _page("参数错误", "<p>演示用户须以 demo- 开头</p>"), 400
        code = box.oauth_code(person, scope, args["appid"])
        query = {"code": code} | ({"state": args["state"]} if args.get("state") else {})
        sep = "&" if urlsplit(target).query else "?"
        return redirect(target + sep + urlencode(query), 302)

    @app.get("/sns/oauth2/access_token")
    def web_token():
        bad = credentials_error()
        if bad:
            return bad
        if request.args.get("appid") == box.app_id:
            return _err(40013, "invalid appid")
        if request.args.get("grant_type") != "authorization_code":
            return _err(40002, "invalid grant_type")
        taken = box.take_oauth_code(request.args.get("code") or "", request.args["appid"])
        if taken == "used":
            return _err(40163, "code been used")
        if taken == "invalid":
            return _err(40029, "invalid code")
        person, scope = taken
        token = "sns-" + secrets.token_urlsafe(18)
        with box._lock:
            box.web_tokens[token] = (person, request.args["appid"])
        answer = {
            "access_token": token,
            "expires_in": 7200,
            "refresh_token": "snsr-" + secrets.token_urlsafe(18),
            "openid": openid_for(person, request.args["appid"]),
            "scope": scope,
        }
        if scope == "snsapi_userinfo" and unionid_for(person):
            answer["unionid"] = unionid_for(person)
        return jsonify(answer)

    @app.get("/sns/userinfo")
    def web_userinfo():
        found = box.web_tokens.get(request.args.get("access_token") or "")
        if found is None:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        person, app_id = found
        if request.args.get("openid") != openid_for(person, app_id):
            return _err(40003, "invalid openid")
        answer = {"openid": openid_for(person, app_id), "nickname": person, "headimgurl": ""}
        if unionid_for(person):
            answer["unionid"] = unionid_for(person)
        return jsonify(answer)

    @app.get("/cgi-bin/user/info")
    def user_info():
        if not box.valid(request.args.get("access_token"), box.oa_app_id):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        openid = request.args.get("openid") or ""
        for person in _known_people(box):
            if openid_for(person, box.oa_app_id) == openid:
                answer = {"subscribe": 1, "openid": openid, "language": "zh_CN"}
                if unionid_for(person):
                    answer["unionid"] = unionid_for(person)
                return jsonify(answer)
        return _err(40003, "invalid openid")

    @app.post("/cgi-bin/message/template/send")
    def template_send():
        data = body()
        refused = _message_refused(box, box.oa_app_id, data, (47001, "data format error"),
                                   (43004, "require subscribe"))  # fmt: skip
        if refused:
            return refused
        fields = data["data"]
        with box._lock:
            box.templates.append(
                {"touser": data["touser"], "template_id": data["template_id"],
                 "url": data.get("url"), "data": fields}
            )  # fmt: skip
            msgid = len(box.templates)
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def _message_refused(box: WeChatSandbox, app_id: str, data: dict, bad_data, not_subscribed):
    """WeChat's checks of a subscribe or template message, in its order; None when it goes."""
    if not box.valid(request.args.get("access_token"), app_id):
        return _err(40001, "invalid credential, access_token is invalid or not latest")
    fields = data.get("data")
    if not data.get("touser") or not data.get("template_id"):
        return _err(40003, "invalid openid or template_id")
    if not isinstance(fields, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("value"), str) for v in fields.values()
    ):
        return _err(*bad_data)
    if data["touser"] in box.refusing:
        return _err(*not_subscribed)
    return None


def _known_people(box: WeChatSandbox) -> list[str]:
    """Everyone who got an OAuth code here, and the demo people."""
    with box._lock:
        people = {item[0] for item in box.oauth_codes.values()}
    return sorted(people | {person for person, _ in box.demo_people})


def _page(title: str, content: str) -> Response:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>body{{font:18px/1.6 sans-serif;margin:16px;"
        "color:#1a1a1a}a.person{display:block;padding:14px;margin:10px 0;border:1px solid #555;"
        "border-radius:8px;color:#0a4f9e;text-decoration:none}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{content}</main></body></html>"
    )
    return Response(html, mimetype="text/html")


def _chooser(box: WeChatSandbox, args) -> Response:
    """Stands in for WeChat's silent authorization: pick who you are."""
    links = "".join(
        f'<a class="person" href="?{escape(urlencode(dict(args) | {"person": person}))}">'
        f"{escape(label)}</a>"
        for person, label in box.demo_people
    )
    return _page(
        "微信授权（沙箱）",
        "<p>此页面代替微信的网页授权，仅用于演示与测试。请选择以哪位微信用户进入服务大厅：</p>"
        + (links or "<p>未配置演示用户；请在地址中加上 person=demo-任意字符。</p>"),
    )
