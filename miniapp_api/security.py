"""Member authentication, rate limits and Idempotency-Key for every mini-program route.

Build each blueprint with ``member_blueprint(...)``. Deny by default: every view needs the
member's bearer token unless it is marked ``@public`` (login). The hooks, in order:

1. the token (``Authorization: Bearer``) → ``current_user()``; expired or revoked → 401;
2. rate limits (fixed windows in the kvstore, shared by every worker): ``@public`` views per
   client IP (``MINIAPP_LOGIN_LIMIT``), every POST per member (``MINIAPP_POST_LIMIT``), per
   ``MINIAPP_RATE_WINDOW`` seconds → 429 操作过于频繁，请稍后再试, with ``Retry-After``;
3. every authenticated POST honours ``Idempotency-Key`` (unioncard/selfservice/idempotency.py):
   a repeat by the same member returns the first answer (status and body, with the header
   ``Idempotent-Replayed: true``) and does nothing again; a concurrent repeat waits for the
   first, then gets its answer, or 409 请求正在处理中. ``@idempotent`` only documents it.
"""

from __future__ import annotations

from flask import Response, current_app, g, request

from unioncard.errors import NotAuthenticated
from unioncard.openapi import Blueprint
from unioncard.selfservice import accounts, idempotency, ratelimit
from unioncard.selfservice.models import MemberUser
from unioncard.web import client_ip, document_no_security, error_response

PREFIX = "/api/miniapp/v1"
SECURITY = [{"memberToken": []}]


def public(view):
    view._public = True
    document_no_security(view)
    return view


def idempotent(view):
    """Marks (and documents) a POST that honours Idempotency-Key: every member POST does."""
    view._idempotent = True
    return view


def member_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """A blueprint of the mini-program API with the member hooks installed.

    ``url_prefix`` is relative to ``/api/miniapp/v1`` (``"/insurance"``); a full path works too.
    """
    if not url_prefix.startswith(PREFIX):
        url_prefix = PREFIX + url_prefix
    blp = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    blp.before_request(authenticate_request)
    blp.after_request(finish_request)
    return blp


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("请先登录（缺少 Authorization: Bearer 令牌）")
    return token.strip()


def authenticate_request():
    """before_request of every member blueprint."""
    app, req = current_app._get_current_object(), request._get_current_object()
    ctx = g._get_current_object()  # each proxy looked up once: this runs on every request
    view = app.view_functions.get(req.endpoint)
    if view is None:
        return None
    cfg = app.config
    window = int(cfg["MINIAPP_RATE_WINDOW"])
    try:
        if getattr(view, "_public", False):
            ratelimit.hit("miniapp-public", client_ip() or "-", cfg["MINIAPP_LOGIN_LIMIT"], window)
            return None
        ctx.member_token = bearer_token()
        ctx.member_user = accounts.authenticate(ctx.member_token)
        if req.method != "POST":
            return None
        ratelimit.hit("miniapp-post", ctx.member_user.id, cfg["MINIAPP_POST_LIMIT"], window)
    except ratelimit.RateLimited as exc:
        response = error_response(exc.status, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return None
    key = idempotency.check_key(key)
    printed = idempotency.fingerprint(request.method, request.path, request.get_data())
    try:
        g.idempotency_record = idempotency.begin(g.member_user.id, key, printed)
    except idempotency.Replay as replay:
        response = Response(replay.body, status=replay.status, mimetype="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response
    return None


def finish_request(response):
    """after_request (runs before the app's commit): store the answer with the work."""
    record_id = g.pop("idempotency_record", None)
    if record_id is not None:
        if response.status_code < 400:
            idempotency.complete(record_id, response.status_code, response.get_data(as_text=True))
        else:
            idempotency.abandon(record_id)
    return response


def current_user() -> MemberUser:
    user = g.get("member_user")
    if user is None:  # a view reached without the hook: refuse
        raise NotAuthenticated()
    return user


def current_token() -> str:
    return g.get("member_token") or bearer_token()
