"""服务大厅登录: the official account's web authorization (网页授权) for the hall's H5 pages.

1. ``authorize(redirect, scope)``: the URL of WeChat's authorize page and a *browser nonce*
   the route puts in an HttpOnly cookie. The ``state`` sent to WeChat is
   ``id.time.mac`` with mac = HMAC(SECRET_KEY, id.time.nonce): it is only good together
   with the cookie of the browser that asked for it, for ``HALL_OAUTH_STATE_TTL`` seconds.
2. WeChat sends the browser back to ``redirect`` with ``code`` and ``state``.
3. ``login(code, state, nonce)``: a state that is not this browser's, too old or already
   used is refused (400) before WeChat is asked; the code is exchanged once (WeChat refuses
   a second exchange, 40163); the user is found or linked like a mini-program login
   (``accounts.signed_in``) and gets the same token.

``redirect`` must lie under ``HALL_URL``: the hall never sends a member anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import current_app

from ..errors import ValidationFailed
from ..kvstore import store
from . import accounts, wechat
from .models import Channel, MemberUser

clock = time.time  # tests pin it with time-machine
STATE_USED = "hall:oauth:state:"
BAD_STATE = "登录请求已失效或不是从本浏览器发起的，请重新进入服务大厅"
BAD_CODE = "微信授权码无效或已使用，请重新进入服务大厅"
BAD_REDIRECT = "跳转地址须为服务大厅的页面"


def _mac(ident: str, issued: str, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"hall-oauth:{ident}.{issued}.{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")


def check_redirect(redirect: str | None) -> str:
    hall = current_app.config["HALL_URL"]
    if not redirect:
        return hall
    parts, base = urlsplit(redirect), urlsplit(hall)
    if (
        (parts.scheme, parts.netloc) != (base.scheme, base.netloc)
        or not parts.path.startswith(base.path)
        or ".." in parts.path
        or len(redirect) > 500
    ):
        raise ValidationFailed(BAD_REDIRECT, {"redirect": [BAD_REDIRECT + f"（{hall}）"]})
    return redirect


def authorize(redirect: str | None, scope: str) -> tuple[str, str]:
    """``(authorize URL, browser nonce)``; the nonce goes into the browser's cookie."""
    target = check_redirect(redirect)
    nonce = secrets.token_urlsafe(24)
    ident, issued = secrets.token_urlsafe(12), str(int(clock()))
    state = f"{ident}.{issued}.{_mac(ident, issued, nonce)}"
    with wechat.calling("code"):
        oauth = wechat.web_oauth()
        try:
            url = oauth.authorize_url(target, state, scope)
        finally:
            oauth.close()
    return url, nonce


def _take_state(state: str, nonce: str | None) -> None:
    """The state must carry this browser's mac, be fresh, and not have been used."""
    parts = (state or "").split(".")
    if len(parts) != 3 or not nonce or not parts[1].isdigit():
        raise ValidationFailed(BAD_STATE, {"state": [BAD_STATE]})
    ident, issued, mac = parts
    if not hmac.compare_digest(mac, _mac(ident, issued, nonce)):
        raise ValidationFailed(BAD_STATE, {"state": [BAD_STATE]})
    ttl = int(current_app.config["HALL_OAUTH_STATE_TTL"])
    age = clock() - int(issued)
    if age > ttl or age < -60:
        raise ValidationFailed(BAD_STATE, {"state": [BAD_STATE]})
    if not store().set(STATE_USED + ident, "1", ttl=ttl + 60, nx=True):
        raise ValidationFailed(BAD_STATE, {"state": [BAD_STATE]})


def login(code: str, state: str, nonce: str | None, scope: str = "snsapi_base") -> dict:
    """The web OAuth code for a member token (the same as the mini-program's login)."""
    _take_state(state, nonce)
    with wechat.calling("code", BAD_CODE):
        oauth = wechat.web_oauth()
        try:
            person = oauth.exchange(code, scope)
        finally:
            oauth.close()
    return accounts.signed_in(
        MemberUser.oa_openid, person["openid"], person["unionid"], Channel.HALL
    )
