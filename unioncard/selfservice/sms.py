"""短信验证码绑定手机 (the service hall): a 6-digit code by SMS, then the code binds the mobile.

- A code is 6 random digits, valid ``SMS_CODE_TTL`` (5 minutes), single use, and only for
  the WeChat user who asked for it and the mobile it was sent to.
- Stored hashed (HMAC-SHA256 with SECRET_KEY over user, mobile's blind index and code) in
  the kvstore: Redis in production, the process's memory in the embedded default; keys name
  the mobile only by its blind index, never in clear.
- Limits: one code a minute (``SMS_INTERVAL``) and ``SMS_DAILY_LIMIT`` a day (Shanghai day)
  per mobile; ``SMS_IP_LIMIT`` per client IP per ``SMS_IP_WINDOW``; ``SMS_MAX_WRONG`` wrong
  tries void the code (a new one must be asked for).
- Times are read from ``clock`` (wall time; tests pin it), not from the store's TTLs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime

from flask import current_app

from ..errors import DomainError, ValidationFailed
from ..kvstore import store
from ..members.rules import clean_mobile
from ..models_base import SHANGHAI
from ..security.crypto import blind_index
from ..security.masking import mask_mobile
from . import profile, ratelimit
from .models import MemberUser

log = logging.getLogger(__name__)
clock = time.time

WRONG = "验证码错误，请核对短信中的 6 位数字"
EXPIRED = "验证码已过期，请重新获取"
MISSING = "请先获取短信验证码（或验证码已使用、已过期），再绑定手机号"
TOO_MANY_WRONG = "验证码错误次数过多，该验证码已失效，请重新获取"


class SmsDown(DomainError):
    status = 503
    default_message = "短信服务暂时无法使用，请稍后重试"


def _cfg(key: str) -> int:
    return int(current_app.config[key])


def _keys(user: MemberUser, bidx: str) -> tuple[str, str]:
    return f"sms:code:{user.id}:{bidx}", f"sms:last:{bidx}"


def _digest(user: MemberUser, bidx: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"sms:{user.id}:{bidx}:{code}".encode(), hashlib.sha256).hexdigest()


def send(user: MemberUser, raw_mobile: str, ip: str | None) -> dict:
    """Send a code to ``raw_mobile`` for ``user``; ``{mobile (masked), expires_in, resend_in}``."""
    mobile = clean_mobile(raw_mobile)
    bidx = blind_index("mobile", mobile)
    now = clock()
    code_key, last_key = _keys(user, bidx)
    interval, ttl = _cfg("SMS_INTERVAL"), _cfg("SMS_CODE_TTL")
    last = store().get(last_key)
    if last and now - float(last) < interval:
        wait = max(1, int(interval - (now - float(last))))
        raise ratelimit.RateLimited(wait, f"验证码发送过于频繁，请 {wait} 秒后再试")
    day = datetime.fromtimestamp(now, SHANGHAI).strftime("%Y%m%d")
    day_key = f"sms:day:{bidx}:{day}"
    if int(store().get(day_key) or 0) >= _cfg("SMS_DAILY_LIMIT"):
        raise ratelimit.RateLimited(
            _seconds_to_midnight(now), "该手机号今日获取验证码次数已达上限，请明天再试"
        )
    ratelimit.hit("sms-ip", ip or "-", _cfg("SMS_IP_LIMIT"), _cfg("SMS_IP_WINDOW"),
                  "获取验证码过于频繁，请稍后再试")  # fmt: skip
    if not store().set(last_key, str(now), ttl=interval, nx=True):
        # the store still holds an older send (its TTL runs on real time): compare clocks
        held = store().get(last_key)
        if held and now - float(held) < interval:
            raise ratelimit.RateLimited(interval, "验证码发送过于频繁，请稍后再试")
        store().set(last_key, str(now), ttl=interval)
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        _client_send(mobile, code, max(1, ttl // 60))
    except Exception:
        store().delete(last_key)  # nothing was sent: the member may try again at once
        raise
    store().incr(day_key, ttl=2 * 86400)
    item = {"h": _digest(user, bidx, code), "t": now}
    store().set(code_key, json.dumps(item), ttl=ttl + 60)
    log.info("sms code sent to %s for member user %s", mask_mobile(mobile), user.id)
    return {"mobile": mask_mobile(mobile), "expires_in": ttl, "resend_in": interval}


def _seconds_to_midnight(now: float) -> int:
    moment = datetime.fromtimestamp(now, SHANGHAI)
    return max(1, 86400 - (moment.hour * 3600 + moment.minute * 60 + moment.second))


def _client_send(mobile: str, code: str, minutes: int) -> None:
    from integrations.sms.client import SmsClient, SmsConfigError, SmsRejected, SmsUnavailable

    try:
        SmsClient.from_app().send_code(mobile, code, minutes)
    except SmsRejected as exc:
        log.warning("sms to %s refused: %s", mask_mobile(mobile), exc.code)
        raise ValidationFailed(
            "短信无法发送到该号码，请核对手机号；如有疑问请联系所在工会",
            {"mobile": ["短信无法发送到该号码"]},
        ) from exc
    except SmsConfigError as exc:
        log.error("sms configuration problem: %s", exc.message)
        raise SmsDown() from exc
    except SmsUnavailable as exc:
        log.warning("sms service unavailable: %s", exc.message)
        raise SmsDown() from exc


def verify_and_bind(user: MemberUser, raw_mobile: str, sms_code: str) -> MemberUser:
    """The code sent to ``raw_mobile`` for this user: right, fresh and unused → bound."""
    mobile = clean_mobile(raw_mobile)
    code = (sms_code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationFailed("请输入短信中的 6 位数字验证码", {"sms_code": ["须为 6 位数字"]})
    bidx = blind_index("mobile", mobile)
    code_key, _ = _keys(user, bidx)
    raw = store().get(code_key)
    if not raw:
        raise ValidationFailed(MISSING, {"sms_code": [MISSING]})
    item = json.loads(raw)
    if clock() - float(item["t"]) > _cfg("SMS_CODE_TTL"):
        store().delete(code_key)
        raise ValidationFailed(EXPIRED, {"sms_code": [EXPIRED]})
    if not hmac.compare_digest(item["h"], _digest(user, bidx, code)):
        wrong = store().incr(
            f"sms:wrong:{user.id}:{bidx}:{item['t']}", ttl=_cfg("SMS_CODE_TTL") + 60
        )
        if wrong >= _cfg("SMS_MAX_WRONG"):
            store().delete(code_key)
            raise ratelimit.RateLimited(1, TOO_MANY_WRONG)
        raise ValidationFailed(WRONG, {"sms_code": [WRONG]})
    if store().take(code_key) != raw:  # single use: one of two parallel binds wins
        raise ValidationFailed(MISSING, {"sms_code": [MISSING]})
    return profile.set_mobile(user, mobile)
