"""Image captcha (图形验证码) of the staff login: generated here, single use, short-lived.

The answer is kept only as an HMAC in the kv store under a random id; checking an id
consumes it whatever the answer, so one image allows one guess. ``CAPTCHA_BYPASS`` (tests
and demos only; production refuses to start with it) is a code every check accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets

from captcha.image import ImageCaptcha
from flask import current_app

from ..kvstore import store
from ..selfservice import ratelimit

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: characters a clerk could misread
ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
LENGTH = 4
PREFIX = "captcha:"


def _digest(captcha_id: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(
        key, f"{captcha_id}:{code.strip().upper()}".encode(), hashlib.sha256
    ).hexdigest()


def issue(ip: str | None, *, code: str | None = None) -> dict:
    """A new captcha: its id, a PNG data URL and the seconds it stays valid (``code``: a
    given answer instead of a random one, for tests)."""
    cfg = current_app.config
    ratelimit.hit(
        "staff-captcha",
        ip or "-",
        cfg["CAPTCHA_LIMIT"],
        cfg["LOGIN_IP_WINDOW"],
        "验证码请求过多，请稍后再试",
    )
    code = code or "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    captcha_id = secrets.token_urlsafe(18)
    ttl = cfg["CAPTCHA_TTL_SECONDS"]
    store().set(PREFIX + captcha_id, _digest(captcha_id, code), ttl=ttl)
    buffer = io.BytesIO()
    ImageCaptcha(width=160, height=60).generate_image(code).save(buffer, "PNG")
    image = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"captcha_id": captcha_id, "image": image, "expires_in": ttl}


def verify(captcha_id: str | None, code: str | None) -> bool:
    """True for the right answer to a live captcha (consumed either way) or the bypass code."""
    if not code:
        return False
    bypass = current_app.config["CAPTCHA_BYPASS"]
    if bypass and hmac.compare_digest(code.encode(), bypass.encode()):
        return True
    if not captcha_id:
        return False
    stored = store().take(PREFIX + captcha_id)
    return bool(stored) and hmac.compare_digest(stored, _digest(captcha_id, code))
