"""WeChat Pay notifications into the served app: verified and decrypted before anything
changes; replayed, duplicated, forged, undecryptable and wrong-amount notifications change
nothing; refunds on the district's refusal; expired orders closed; lost notifications found."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from integrations.wechatpay import signing
from integrations.wechatpay.sandbox import transaction_id_for
from tests.insurance.helpers import TODAY, build_world, freeze_today, login
from unioncard.config import _dev_pem
from unioncard.extensions import db
from unioncard.insurance.models import Enrolment, EnrolmentStatus, UnitSubmission
from unioncard.models_base import utcnow
from unioncard.payments import tasks as payment_tasks
from unioncard.payments.models import (
    OrderStatus,
    PaymentNotification,
    PaymentOrder,
    PaymentRefund,
    RefundStatus,
)

from .helpers import wait_until
from .pay_helpers import (
    INSURANCE,
    NOTIFY_PATH,
    carded_member,
    enrol,
    pay_live,
    plan_2026,
    the_order,
)

REVIEW = "/api/admin/v1/insurance/review"


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)
    return build_world(members_per_union=0)


def _enrolled(client, world):
    plan = plan_2026(world)
    member, headers = carded_member(client, world)
    r = enrol(client, headers, plan)
    assert r.status_code == 201, r.get_json()
    return r.get_json(), headers, plan


def _paid(env, body):
    status, _ = env.boxes.wechatpay.pay(body["order"]["out_trade_no"])
    assert status == 200
    wait_until(lambda: the_order(body["id"]).status == OrderStatus.PAID, message="never paid")


def _success_resource(env, body, **changes):
    box = env.boxes.wechatpay
    order = box.orders[body["order"]["out_trade_no"]]
    resource = box.transaction(order) | {
        "trade_state": "SUCCESS",
        "transaction_id": transaction_id_for(order.payload["out_trade_no"]),
        "success_time": "2026-11-22T10:00:00+08:00",
    }
    return resource | changes


def _post(client, body: bytes, headers: dict):
    return client.post(NOTIFY_PATH, data=body, headers=headers)


def test_forged_and_undecryptable_notifications_change_nothing(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, _, _ = _enrolled(client, world)
        box = env.boxes.wechatpay
        raw = box.envelope("TRANSACTION.SUCCESS", "transaction", "forged",
                           _success_resource(env, body))  # fmt: skip
        good = box.sign(raw)

        tampered = raw.replace(
            b"\xe6\x94\xaf\xe4\xbb\x98", b"\xe9\x80\x80\xe6\xac\xbe"
        )  # 支付→退款
        assert tampered != raw
        r = _post(client, tampered, good)
        assert r.status_code == 401 and r.get_json()["code"] == "FAIL"

        by_merchant = good | {
            signing.HEADER_SIGNATURE: signing.sign(
                _dev_pem("merchant_private_key.pem"),
                signing.message(
                    good[signing.HEADER_TIMESTAMP], good[signing.HEADER_NONCE], raw.decode()
                ),  # fmt: skip
            )
        }
        assert _post(client, raw, by_merchant).status_code == 401
        assert _post(client, raw, good | {signing.HEADER_SERIAL: "OTHER"}).status_code == 401
        stale = signing.signed_headers(_dev_pem("platform_private_key.pem"), box.platform_serial,
                                       raw.decode(), now=utcnow().timestamp() - 3600)  # fmt: skip
        assert _post(client, raw, stale).status_code == 401
        assert _post(client, raw, {}).status_code == 401

        other_key = json.loads(raw)
        other_key["resource"]["ciphertext"] = signing.encrypt(
            "x" * 32, json.dumps(_success_resource(env, body)), "transaction",
            other_key["resource"]["nonce"],
        )  # fmt: skip
        sealed_wrong = json.dumps(other_key).encode()
        r = _post(client, sealed_wrong, box.sign(sealed_wrong))
        assert r.status_code == 400 and r.get_json()["code"] == "FAIL"
        not_json = b"{not json"
        assert _post(client, not_json, box.sign(not_json)).status_code == 400

        assert the_order(body["id"]).status == OrderStatus.AWAITING
        assert db.session.query(PaymentNotification).count() == 0
        assert db.session.get(Enrolment, body["id"]).status == EnrolmentStatus.AWAITING_PAYMENT


def test_amount_mismatch_is_refused(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, _, _ = _enrolled(client, world)
        box = env.boxes.wechatpay
        resource = _success_resource(env, body, amount={"total": 1, "payer_total": 1,
                                                        "currency": "CNY"})  # fmt: skip
        raw = box.envelope("TRANSACTION.SUCCESS", "transaction", "cheap", resource)
        r = _post(client, raw, box.sign(raw))
        assert r.status_code == 400 and "金额" in r.get_json()["message"]
        foreign = _success_resource(env, body, mchid="1900000999")
        raw = box.envelope("TRANSACTION.SUCCESS", "transaction", "foreign", foreign)
        assert _post(client, raw, box.sign(raw)).status_code == 400
        assert the_order(body["id"]).status == OrderStatus.AWAITING
        assert db.session.query(PaymentNotification).count() == 0


def test_replayed_and_duplicated_notifications_apply_once(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, headers, _ = _enrolled(client, world)
        _paid(env, body)
        box = env.boxes.wechatpay
        assert box.wait_idle()
        [first] = box.notifications
        assert first.statuses == [204]

        replay = _post(client, first.body, box.sign(first.body))  # same id, fresh signature
        assert replay.status_code == 204
        same = _post(client, first.body, first.headers)  # byte for byte, same headers
        assert same.status_code == 204
        duplicate = box.envelope("TRANSACTION.SUCCESS", "transaction", "another-id",
                                 _success_resource(env, body))  # fmt: skip
        assert _post(client, duplicate, box.sign(duplicate)).status_code == 204

        db.session.rollback()
        outcomes = sorted(n.outcome for n in db.session.query(PaymentNotification))
        assert outcomes == ["duplicate", "paid"]
        assert db.session.query(UnitSubmission).count() == 1
        order = the_order(body["id"])
        assert order.status == OrderStatus.PAID
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["status"] == "区局确认中"
        states = [m["data"]["phrase2"]["value"] for m in env.wechat.messages]
        assert states.count("已支付") == 1


def test_unreviewed_by_the_years_end_is_refused_and_refunded(
    client, world, monkeypatch, time_machine
):
    from datetime import date

    from unioncard.insurance import deadline

    with pay_live(client.application, monkeypatch) as env:
        body, headers, _plan = _enrolled(client, world)
        _paid(env, body)
        freeze_today(time_machine, date(2026, 12, 31))  # still its coverage year: untouched
        assert deadline.expire_unpaid()["submissions"] == 0
        db.session.commit()
        assert db.session.get(Enrolment, body["id"]).status == EnrolmentStatus.SUBMITTED

        freeze_today(time_machine, date(2027, 1, 1))  # the year is over, nobody reviewed it
        counts = deadline.expire_unpaid()
        db.session.commit()  # the refund is requested after the commit
        assert (counts["submissions"], counts["enrolments"]) == (1, 1)
        assert deadline.expire_unpaid()["submissions"] == 0  # a second run changes nothing
        db.session.commit()
        wait_until(
            lambda: the_order(body["id"]).status == OrderStatus.REFUNDED,
            message="the refund never completed",
        )
        enrolment = db.session.get(Enrolment, body["id"])
        assert enrolment.status == EnrolmentStatus.REFUSED
        assert "未在保障年度内审核" in enrolment.failed_reason
        assert db.session.query(PaymentRefund).count() == 1
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["refund_status"] == "已退款" and "原路退回" in listed[0]["reason"]


def test_refusal_refunds_the_member(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, headers, plan = _enrolled(client, world)
        _paid(env, body)
        submission_id = db.session.get(Enrolment, body["id"]).submission_id
        staff = login(client, "da_reviewer")
        r = client.post(f"{REVIEW}/instant/refuse", headers=staff,
                        json={"submission_ids": [submission_id], "reason": "证件信息不全"})  # fmt: skip
        assert r.status_code == 200, r.get_json()

        def refunded():
            return the_order(body["id"]).status == OrderStatus.REFUNDED

        wait_until(refunded, message="the refund never completed")
        refund = db.session.query(PaymentRefund).one()
        assert refund.status == RefundStatus.SUCCEEDED and refund.refund_id.startswith("5030")
        box = env.boxes.wechatpay
        assert box.refunds[refund.out_refund_no].payload["amount"] == {
            "refund": 1300, "total": 1300, "currency": "CNY"}  # fmt: skip
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["status"] == "已拒绝" and listed[0]["refund_status"] == "已退款"
        assert listed[0]["payment_status"] == "已退款" and listed[0]["covered"] is False
        assert listed[0]["reason"] == "证件信息不全"  # the district's reason reaches the member
        assert box.wait_idle()
        states = [m["data"]["phrase2"]["value"] for m in env.wechat.messages]
        assert states.count("已拒绝") == 1 and states.count("已退款") == 1
        refused = next(m for m in env.wechat.messages if m["data"]["phrase2"]["value"] == "已拒绝")
        assert refused["data"]["thing4"]["value"] == "证件信息不全"
        # the place is free again: the member may enrol anew
        assert enrol(client, headers, plan).status_code == 201


def test_refund_waits_out_a_wechat_pay_outage(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, _, _ = _enrolled(client, world)
        _paid(env, body)
        submission_id = db.session.get(Enrolment, body["id"]).submission_id
        env.boxes.wechatpay.fail_next(50)
        r = client.post(f"{REVIEW}/instant/refuse", headers=login(client, "da_reviewer"),
                        json={"submission_ids": [submission_id], "reason": "重复参保"})  # fmt: skip
        assert r.status_code == 200
        db.session.rollback()
        refund = db.session.query(PaymentRefund).one()
        assert refund.status == RefundStatus.REQUESTED and refund.attempts == 1
        assert "暂时无法" in refund.last_error
        assert the_order(body["id"]).status == OrderStatus.REFUNDING
        env.boxes.wechatpay.fail_next(0)
        counts = payment_tasks.sweep()
        assert counts["refunds_requested"] == 1
        wait_until(lambda: the_order(body["id"]).status == OrderStatus.REFUNDED)
        assert len(env.boxes.wechatpay.refunds) == 1


def test_expired_order_is_closed_and_the_member_may_enrol_again(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, headers, plan = _enrolled(client, world)
        order = the_order(body["id"])
        order.expires_at = order.created_at = utcnow() - timedelta(minutes=40)
        db.session.commit()
        counts = payment_tasks.sweep()
        assert counts["orders_checked"] == 1 and counts["errors"] == 0
        assert the_order(body["id"]).status == OrderStatus.CLOSED
        assert db.session.get(Enrolment, body["id"]).status == EnrolmentStatus.CANCELLED
        assert env.boxes.wechatpay.orders[order.out_trade_no].trade_state == "CLOSED"
        assert env.boxes.wechatpay.pay(order.out_trade_no)[0] == 409
        again = enrol(client, headers, plan)
        assert again.status_code == 201 and again.get_json()["id"] != body["id"]
        assert db.session.query(PaymentOrder).count() == 2


def test_a_lost_notification_is_found_by_the_sweep(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        body, _, _ = _enrolled(client, world)
        box = env.boxes.wechatpay
        box.notify_retries = 0
        box.orders[body["order"]["out_trade_no"]].payload["notify_url"] = "http://127.0.0.1:9/x"
        assert box.pay(body["order"]["out_trade_no"])[0] == 200
        assert box.wait_idle()
        assert the_order(body["id"]).status == OrderStatus.AWAITING
        order = the_order(body["id"])
        order.created_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        assert payment_tasks.sweep()["orders_checked"] == 1
        assert the_order(body["id"]).status == OrderStatus.PAID
        assert db.session.get(Enrolment, body["id"]).status == EnrolmentStatus.SUBMITTED
