"""Paying from the service hall: WeChat Pay v3 JSAPI with the official account's AppID and
the member's openid there, paid on the WeChat Pay sandbox's pay-sheet page (HTTP form post),
the signed notification applied once, and the member told once by a template message."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations.wechat.sandbox import openid_for
from tests.insurance.helpers import TODAY, add_people, build_world, freeze_today, give_cards
from unioncard.extensions import db
from unioncard.notifications.models import MessageStatus, SubscribeMessage
from unioncard.payments.models import OrderStatus, PaymentNotification

from .hall_helpers import hall_member
from .helpers import wait_until
from .pay_helpers import INSURANCE, enrol, pay_live, plan_2026, the_order


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)
    return build_world(members_per_union=0)


def test_a_hall_member_pays_on_the_sandbox_pay_sheet_once(client, world, monkeypatch):
    app = client.application
    with pay_live(app, monkeypatch) as env:
        monkeypatch.setitem(app.config, "HALL_PAY_SHEET_URL",
                            env.boxes.wechatpay_url + "/sandbox/pay-sheet")  # fmt: skip
        plan = plan_2026(world)
        member = add_people(world.org("gA2"), 1, start_seq=610)[0]
        give_cards([member])
        headers = hall_member(client, env, member, "demo-hall-payer")
        r = enrol(client, headers, plan)
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        oa_appid = app.config["WECHAT_OA_APP_ID"]
        assert body["payment"]["appId"] == oa_appid  # JSAPI params for WeixinJSBridge
        order = the_order(body["id"])
        assert order.appid == oa_appid
        assert order.openid == openid_for("demo-hall-payer", oa_appid)
        sandbox_order = env.boxes.wechatpay.orders[order.out_trade_no]
        assert sandbox_order.payload["appid"] == oa_appid
        assert sandbox_order.payload["payer"]["openid"] == order.openid

        sheet = body["pay_sheet_url"]
        assert sheet.startswith(env.boxes.wechatpay_url + "/sandbox/pay-sheet?")
        assert parse_qs(urlsplit(sheet).query)["return_url"] == [env.url + "/hall/insurance"]
        page = requests.get(sheet, timeout=5)
        assert page.status_code == 200
        assert "￥13.00" in page.text and "确认支付" in page.text
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
        paid = requests.post(env.boxes.wechatpay_url + "/sandbox/pay-sheet", data=form,
                             allow_redirects=False, timeout=5)  # fmt: skip
        assert paid.status_code == 303
        assert paid.headers["Location"] == (
            f"{env.url}/hall/insurance?out_trade_no={order.out_trade_no}"
        )
        wait_until(lambda: the_order(body["id"]).status == OrderStatus.PAID, message="never paid")
        # paying again on the sheet takes no more money: the page says it is paid
        again = requests.get(sheet, timeout=5)
        assert "该订单已支付" in again.text and "确认支付" not in again.text

        box = env.boxes.wechatpay
        assert box.wait_idle()
        [first] = box.notifications
        assert first.statuses == [204]
        replay = client.post("/api/integrations/wechatpay/v1/notify", data=first.body,
                             headers=box.sign(first.body))  # fmt: skip
        assert replay.status_code == 204
        db.session.rollback()
        assert [n.outcome for n in db.session.query(PaymentNotification)] == ["paid"]
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["payment_status"] == "已支付"

        # the member hears of it once, as an official-account template message
        wait_until(lambda: env.wechat.templates, message="no template message")
        assert [m["data"]["phrase2"]["value"] for m in env.wechat.templates] == ["已支付"]
        message = env.wechat.templates[0]
        assert message["touser"] == order.openid
        assert message["template_id"] == app.config["WECHAT_OA_TEMPLATES"]["insurance"]
        assert message["url"] == env.url + "/hall/insurance"
        assert env.wechat.messages == []  # no subscribe message to the mini-program
        db.session.rollback()
        row = db.session.query(SubscribeMessage).one()
        assert row.status == MessageStatus.SENT and row.payload["channel"] == "服务大厅"
