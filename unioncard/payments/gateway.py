"""WeChat Pay as configured: the client and the URLs and ids taken from the app's config.

A PEM setting may hold the PEM text itself (``\\n`` escapes allowed, for environment
variables) or the path of a file holding it.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from integrations.wechatpay.client import WeChatPayClient

EXTENSION_KEY = "unioncard.wechatpay"


def pem(value: str) -> str:
    value = (value or "").strip()
    if value and not value.startswith("-----BEGIN") and Path(value).is_file():
        return Path(value).read_text()
    return value.replace("\\n", "\n")


def client() -> WeChatPayClient:
    """One client per app and configuration (its session is reused between requests)."""
    cfg = current_app.config
    settings = (
        cfg["WECHATPAY_API_BASE_URL"],
        cfg["WECHATPAY_MCH_ID"],
        cfg["WECHATPAY_MCH_SERIAL"],
        cfg["WECHATPAY_PRIVATE_KEY"],
        cfg["WECHATPAY_PLATFORM_PUBLIC_KEY"],
        cfg["WECHATPAY_PLATFORM_SERIAL"],
        cfg["WECHATPAY_APIV3_KEY"],
        cfg["WECHATPAY_TIMEOUT"],
    )
    cached = current_app.extensions.get(EXTENSION_KEY)
    if cached and cached[0] == settings:
        return cached[1]
    built = WeChatPayClient(
        base_url=settings[0],
        mch_id=settings[1],
        mch_serial=settings[2],
        private_key=pem(settings[3]),
        platform_public_key=pem(settings[4]),
        platform_serial=settings[5],
        apiv3_key=settings[6],
        timeout=(3.05, float(settings[7])),
    )
    current_app.extensions[EXTENSION_KEY] = (settings, built)
    return built


def appid() -> str:
    """The mini-program's AppID: WeChat Pay's ``appid`` of its JSAPI orders."""
    return current_app.config["WECHAT_APP_ID"]


def payer(user) -> tuple[str, str]:
    """``(appid, openid)`` of a JSAPI order: a member who came through the service hall pays
    with the official account's AppID and their openid there; else the mini-program's."""
    from ..selfservice.models import Channel

    if user.channel == Channel.HALL and user.oa_openid:
        return current_app.config["WECHAT_OA_APP_ID"], user.oa_openid
    return appid(), user.openid


def pay_sheet_url(order) -> str | None:
    """Outside WeChat (the demo, the tests) the hall sends the browser to the WeChat Pay
    sandbox's stand-in for the pay sheet; None in production (HALL_PAY_SHEET_URL empty)."""
    cfg = current_app.config
    sheet = cfg.get("HALL_PAY_SHEET_URL")
    if not sheet or order.appid != cfg["WECHAT_OA_APP_ID"] or not order.prepay_id:
        return None
    from urllib.parse import urlencode

    back = cfg["HALL_URL"].rstrip("/") + "/insurance"
    return f"{sheet}?{urlencode({'prepay_id': order.prepay_id, 'return_url': back})}"


def notify_url() -> str:
    return current_app.config["WECHATPAY_NOTIFY_URL"]


def refund_notify_url() -> str:
    cfg = current_app.config
    explicit = cfg.get("WECHATPAY_REFUND_NOTIFY_URL")
    if explicit:
        return explicit
    base = cfg["WECHATPAY_NOTIFY_URL"]
    return base[: -len("/notify")] + "/refund-notify" if base.endswith("/notify") else base
