"""个人参保 in the mini-program, end to end: plans, enrolment with WeChat Pay (the real v3
client against the sandbox over HTTP), payment notification, district review, coverage."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import requests

from integrations.wechatpay import signing
from tests.insurance.helpers import TODAY, build_world, freeze_today, login
from unioncard.config import _dev_pem
from unioncard.extensions import db
from unioncard.insurance.models import Enrolment, EnrolmentStatus, Payout
from unioncard.payments.models import OrderStatus, PaymentOrder

from .helpers import API, assert_nowhere_in_database, member_login, wait_until
from .pay_helpers import INSURANCE, carded_member, enrol, pay_live, plan_2026, the_order


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)
    return build_world(members_per_union=0)


def test_plans_show_the_members_share_and_coverage_dates(client, world, monkeypatch):
    plan = plan_2026(world)
    with pay_live(client.application, monkeypatch):
        stranger = member_login(client, "demo-stranger")
        r = client.get(f"{INSURANCE}/plans", headers=stranger)
        assert r.status_code == 403 and "会员" in r.get_json()["message"]
        _, headers = carded_member(client, world)
        r = client.get(f"{INSURANCE}/plans", headers=headers)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert body["year"] == 2026
        assert body["coverage_start"] == "2026-11-23" and body["coverage_end"] == "2026-12-31"
        [offered] = body["plans"]
        assert offered["id"] == plan.id and offered["payable"] == "13.00"
        assert offered["fee"] == "26.00" and offered["city_share"] == "13.00"
        later = client.get(f"{INSURANCE}/plans?year=2027", headers=headers).get_json()
        assert later["plans"] == []
        assert client.get(f"{INSURANCE}/plans?year=abc", headers=headers).status_code == 422


def test_member_without_card_cannot_enrol(client, world, monkeypatch):
    from tests.insurance.helpers import add_people

    plan = plan_2026(world)
    member = add_people(world.org("gA2"), 1, start_seq=610)[0]
    with pay_live(client.application, monkeypatch) as env:
        from .helpers import bind

        headers = member_login(client, "demo-nocard")
        bind(client, headers, member.name, member.id_number, member.mobile)
        r = enrol(client, headers, plan)
        assert r.status_code == 403 and "办理工会会员服务卡" in r.get_json()["message"]
        assert env.boxes.wechatpay.orders == {}
        assert db.session.query(Enrolment).count() == 0


def test_enrol_pay_review_and_coverage(client, world, monkeypatch):
    plan = plan_2026(world)
    with pay_live(client.application, monkeypatch) as env:
        member, headers = carded_member(client, world)
        r = enrol(client, headers, plan, key="enrol-1")
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        assert body["status"] == "待支付" and body["covered"] is False
        assert body["start_date"] == "2026-11-23" and body["end_date"] == "2026-12-31"
        assert body["individual_share"] == "13.00" and body["payment_status"] == "待支付"
        pay = body["payment"]
        assert pay["appId"] == client.application.config["WECHAT_APP_ID"]
        assert pay["signType"] == "RSA" and pay["package"].startswith("prepay_id=wx")
        text = f"{pay['appId']}\n{pay['timeStamp']}\n{pay['nonceStr']}\n{pay['package']}\n"
        assert signing.verify(_dev_pem("merchant_public_key.pem"), text, pay["paySign"])
        out_trade_no = body["order"]["out_trade_no"]
        assert env.boxes.wechatpay.orders[out_trade_no].total == 1300

        # the same key replays the first answer; no second order
        again = enrol(client, headers, plan, key="enrol-1")
        assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
        assert again.get_json()["order"] == body["order"]
        # without a key: the open order comes back (same prepay id), still one order
        third = enrol(client, headers, plan)
        assert third.status_code == 201
        assert third.get_json()["payment"]["package"] == pay["package"]
        assert db.session.query(PaymentOrder).count() == 1

        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert [e["status"] for e in listed] == ["待支付"] and listed[0]["covered"] is False
        summary = client.get("/api/miniapp/v1/me", headers=headers).get_json()["coverage"]
        assert summary["status"] == "待支付" and summary["covered"] is False
        assert summary["plan"] == plan.name and summary["kind"] == "个人参保"

        # the member pays in WeChat; the sandbox notifies the served app
        status, answer = env.boxes.wechatpay.pay(out_trade_no)
        assert status == 200 and answer["status"] == "paid"

        def paid():
            return the_order(body["id"]).status == OrderStatus.PAID

        wait_until(paid, message="the payment notification never arrived")
        order = the_order(body["id"])
        assert order.transaction_id == answer["transaction_id"] and order.paid_at is not None
        enrolment = db.session.get(Enrolment, body["id"])
        assert enrolment.status == EnrolmentStatus.SUBMITTED and enrolment.submission_id
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["status"] == "区局确认中" and listed[0]["covered"] is False
        assert listed[0]["payment_status"] == "已支付"
        assert enrol(client, headers, plan).status_code == 409  # paid: no second enrolment

        # the district approves the member's own submission: covered from tomorrow
        staff = login(client, "da_reviewer")
        r = client.post(
            "/api/admin/v1/insurance/review/instant/approve",
            json={"submission_ids": [enrolment.submission_id]}, headers=staff,
        )  # fmt: skip
        assert r.status_code == 200, r.get_json()
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["status"] == "已完成" and listed[0]["covered"] is True
        assert listed[0]["in_force"] is False  # starts tomorrow (2026-11-23)
        summary = client.get("/api/miniapp/v1/me", headers=headers).get_json()["coverage"]
        assert summary == {
            "year": 2026, "status": "已完成", "plan": plan.name, "kind": "个人参保",
            "start_date": "2026-11-23", "end_date": "2026-12-31", "covered": True,
        }  # fmt: skip

        sent = [m for m in env.wechat.messages if m["touser"]]
        states = [m["data"]["phrase2"]["value"] for m in sent]
        assert states.count("已支付") == 1 and states.count("已完成") == 1
    # PIPL: after enrolment, payment and approval, no ID number or mobile is stored in clear
    assert_nowhere_in_database([member.id_number, member.mobile])


def test_two_devices_racing_get_one_enrolment_and_one_order(client, world, monkeypatch):
    plan = plan_2026(world)
    app = client.application
    with pay_live(app, monkeypatch) as env:
        member, first = carded_member(client, world, code="demo-racer")
        second = member_login(client, "demo-racer")  # the same WeChat user on another device
        answers = []
        barrier = threading.Barrier(2)
        body = {"plan_id": plan.id, "year": plan.year}

        def device(headers):  # over real HTTP to the served app, truly at once
            barrier.wait()
            answers.append(requests.post(env.url + f"{INSURANCE}/enrolments", json=body,
                                         headers=headers, timeout=30))  # fmt: skip

        threads = [threading.Thread(target=device, args=(h,)) for h in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [r.status_code for r in answers] == [201, 201], [r.json() for r in answers]
        bodies = [r.json() for r in answers]
        assert bodies[0]["id"] == bodies[1]["id"]
        assert bodies[0]["order"]["out_trade_no"] == bodies[1]["order"]["out_trade_no"]
        db.session.rollback()
        assert db.session.query(Enrolment).filter_by(member_id=member.id).count() == 1
        assert db.session.query(PaymentOrder).count() == 1
        assert len(env.boxes.wechatpay.orders) == 1


def test_wechat_pay_outage_leaves_nothing_behind(client, world, monkeypatch):
    plan = plan_2026(world)
    with pay_live(client.application, monkeypatch) as env:
        _, headers = carded_member(client, world)
        env.boxes.wechatpay.fail_next(10)
        r = enrol(client, headers, plan)
        assert r.status_code == 503 and "微信支付" in r.get_json()["message"]
        assert db.session.query(Enrolment).count() == 0
        assert db.session.query(PaymentOrder).count() == 0
        env.boxes.wechatpay.fail_next(0)
        assert enrol(client, headers, plan).status_code == 201


def test_payouts_are_the_members_own(client, world, monkeypatch):
    plan_2026(world)
    with pay_live(client.application, monkeypatch):
        member, headers = carded_member(client, world)
        other, _ = carded_member(client, world, seq=520, code="demo-other")
        for who, ref, amount in ((member, "GF-1", "300.00"), (other, "GF-2", "99.00")):
            db.session.add(Payout(reference=ref, member_id=who.id, org_id=who.org_id, year=2026,
                                  item="住院津贴", amount=Decimal(amount),
                                  paid_on=date(2026, 10, 1)))  # fmt: skip
        db.session.commit()
        r = client.get(f"{INSURANCE}/payouts?page=1&page_size=10", headers=headers)
        assert r.status_code == 200
        assert [(p["reference"], p["amount"]) for p in r.get_json()] == [("GF-1", "300.00")]
        assert "X-Pagination" in r.headers
        assert client.get(f"{INSURANCE}/payouts").status_code == 401
        assert API in r.request.path
