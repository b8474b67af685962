"""The WeChat Pay v3 client against the sandbox over HTTP: request signatures, answer
signatures, retries, each failure its own exception, notification parsing."""

from __future__ import annotations

import json

import pytest

from integrations.sandboxes import ServerThread, dev_wechatpay
from integrations.wechatpay import signing
from integrations.wechatpay.client import (
    NotificationInvalid,
    NotificationUndecryptable,
    WeChatPayClient,
    WeChatPayNotFound,
    WeChatPayRejected,
    WeChatPaySignatureInvalid,
    WeChatPayUnavailable,
)
from integrations.wechatpay.sandbox_app import create_wechatpay_sandbox
from unioncard.config import Config, _dev_pem

APPID = "wxpaytest000001"


@pytest.fixture()
def box():
    app = create_wechatpay_sandbox(**dev_wechatpay(APPID) | {"refund_delay": 0.01})
    with ServerThread(app) as server:
        state = app.extensions["wechatpay_sandbox"]
        state.url = server.url
        yield state
        state.close()


def client_for(box, **changes) -> WeChatPayClient:
    settings = {
        "base_url": box.url,
        "mch_id": Config.WECHATPAY_MCH_ID,
        "mch_serial": Config.WECHATPAY_MCH_SERIAL,
        "private_key": Config.WECHATPAY_PRIVATE_KEY,
        "platform_public_key": Config.WECHATPAY_PLATFORM_PUBLIC_KEY,
        "platform_serial": Config.WECHATPAY_PLATFORM_SERIAL,
        "apiv3_key": Config.WECHATPAY_APIV3_KEY,
        "timeout": (1, 3),
    } | changes
    return WeChatPayClient(**settings)


def order(pay: WeChatPayClient, no="UC2026112200001", amount=1300) -> str:
    return pay.jsapi_order(appid=APPID, openid="o-member", out_trade_no=no, amount_fen=amount,
                           description="2026年度A类", notify_url="http://127.0.0.1:9/n")  # fmt: skip


def test_order_query_close_and_idempotent_repeat(box):
    pay = client_for(box)
    prepay = order(pay)
    assert prepay.startswith("wx") and order(pay) == prepay  # same body: same prepay_id
    with pytest.raises(WeChatPayRejected) as exc:
        order(pay, amount=1400)
    assert exc.value.code == "INVALID_REQUEST"
    assert pay.query_order("UC2026112200001")["trade_state"] == "NOTPAY"
    pay.close_order("UC2026112200001")
    assert pay.query_order("UC2026112200001")["trade_state"] == "CLOSED"
    with pytest.raises(WeChatPayNotFound):
        pay.query_order("UC2026112200999")


def test_request_and_answer_signatures_are_checked(box):
    stranger = client_for(box, private_key=_dev_pem("platform_private_key.pem"))
    with pytest.raises(WeChatPayRejected) as exc:
        order(stranger)
    assert exc.value.status == 401 and exc.value.code == "SIGN_ERROR"
    assert box.orders == {}
    # an answer not signed by the platform key we trust is never believed
    gullible = client_for(box, platform_public_key=_dev_pem("merchant_public_key.pem"))
    with pytest.raises(WeChatPaySignatureInvalid):
        order(gullible)
    with pytest.raises(WeChatPaySignatureInvalid):
        order(client_for(box, platform_serial="PUB_KEY_ID_OTHER"), no="UC2026112200002")


def test_outages_are_retried_then_reported(box):
    pay = client_for(box)
    box.fail_next(1)
    assert order(pay).startswith("wx")  # one 503, retried by the session
    box.fail_next(10)
    with pytest.raises(WeChatPayUnavailable):
        pay.query_order("UC2026112200001")
    box.fail_next(0)
    with pytest.raises(WeChatPayUnavailable):
        order(pay, no="UC2026112200003", amount=1599)  # the sandbox's outage amount
    down = client_for(box, base_url="http://127.0.0.1:9", retries=0)
    with pytest.raises(WeChatPayUnavailable):
        order(down)


def test_refund_once_per_out_refund_no(box):
    pay = client_for(box)
    order(pay)
    with pytest.raises(WeChatPayRejected) as exc:
        pay.refund(out_trade_no="UC2026112200001", out_refund_no="RF1", refund_fen=1300,
                   total_fen=1300, reason="测试", notify_url="http://127.0.0.1:9/r")  # fmt: skip
    assert exc.value.code == "INVALID_REQUEST"  # not paid yet
    box.pay("UC2026112200001")
    args = dict(out_trade_no="UC2026112200001", out_refund_no="RFUC2026112200001",
                refund_fen=1300, total_fen=1300, reason="区局审核未通过",
                notify_url="http://127.0.0.1:9/r")  # fmt: skip
    first = pay.refund(**args)
    again = pay.refund(**args)
    assert first["refund_id"] == again["refund_id"] and first["status"] == "PROCESSING"
    assert box.wait_idle()
    assert pay.query_refund("RFUC2026112200001")["status"] == "SUCCESS"
    with pytest.raises(WeChatPayRejected) as exc:
        pay.refund(**args | {"out_refund_no": "RF-other"})
    assert exc.value.code == "NOT_ENOUGH"


def test_request_payment_params_are_signed_by_the_merchant(box):
    pay = client_for(box)
    params = pay.request_payment_params(APPID, "wx123", now=1_700_000_000, nonce="N1")
    assert params["timeStamp"] == "1700000000" and params["package"] == "prepay_id=wx123"
    text = f"{APPID}\n1700000000\nN1\nprepay_id=wx123\n"
    assert signing.verify(_dev_pem("merchant_public_key.pem"), text, params["paySign"])


def test_parse_notification(box):
    pay = client_for(box)
    resource = {"out_trade_no": "UC1", "trade_state": "SUCCESS", "amount": {"total": 1}}
    raw = box.envelope("TRANSACTION.SUCCESS", "transaction", "k1", resource)
    note = pay.parse_notification(box.sign(raw), raw)
    assert note.event_type == "TRANSACTION.SUCCESS" and note.resource == resource
    assert note.id.startswith("EV-")
    with pytest.raises(NotificationInvalid):
        pay.parse_notification(box.sign(raw), raw + b" ")
    with pytest.raises(NotificationInvalid):
        pay.parse_notification({}, raw)
    envelope = json.loads(raw)
    envelope["resource"]["associated_data"] = "refund"  # the tag covers associated_data
    changed = json.dumps(envelope).encode()
    with pytest.raises(NotificationUndecryptable):
        pay.parse_notification(box.sign(changed), changed)
    with pytest.raises(NotificationUndecryptable):
        client_for(box, apiv3_key="y" * 32).parse_notification(box.sign(raw), raw)


def test_bad_configuration_fails_at_construction():
    with pytest.raises(ValueError):
        WeChatPayClient(mch_id="1", mch_serial="s", private_key=Config.WECHATPAY_PRIVATE_KEY,
                        platform_public_key=Config.WECHATPAY_PLATFORM_PUBLIC_KEY,
                        platform_serial="p", apiv3_key="short")  # fmt: skip
    with pytest.raises(signing.CryptoError):
        WeChatPayClient(mch_id="1", mch_serial="s", private_key="not a pem",
                        platform_public_key=Config.WECHATPAY_PLATFORM_PUBLIC_KEY,
                        platform_serial="p", apiv3_key="x" * 32)  # fmt: skip


def test_production_refuses_the_development_keys():
    from unioncard.config import ConfigError, load_config

    with pytest.raises(ConfigError) as exc:
        load_config({"ENV": "production"}, environ={})
    for key in ("WECHATPAY_PRIVATE_KEY", "WECHATPAY_APIV3_KEY", "WECHATPAY_NOTIFY_URL"):
        assert key in str(exc.value)
