"""Money is never kept twice: an order paid a second time (another transaction) is paid back
through WeChat Pay at once (the sandbox over HTTP), audited, and listed for the district."""

from __future__ import annotations

import pytest

from tests.insurance.helpers import TODAY, build_world, freeze_today, login
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.payments.models import OrderStatus, PaymentNotification, PaymentRefund, RefundStatus

from .helpers import wait_until
from .pay_helpers import INSURANCE, carded_member, enrol, pay_live, plan_2026, the_order

REFUNDS = "/api/admin/v1/insurance/review/instant/refunds"


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)
    return build_world(members_per_union=0)


def _refunds():
    db.session.rollback()
    return db.session.query(PaymentRefund).all()


def test_a_second_payment_is_refunded_audited_and_listed(client, world, monkeypatch):
    with pay_live(client.application, monkeypatch) as env:
        plan = plan_2026(world)
        member, headers = carded_member(client, world)
        body = enrol(client, headers, plan).get_json()
        no = body["order"]["out_trade_no"]
        box = env.boxes.wechatpay
        assert box.pay(no)[0] == 200
        wait_until(lambda: the_order(body["id"]).status == OrderStatus.PAID, message="never paid")
        first = the_order(body["id"]).transaction_id

        status, again = box.pay_again(no)  # the member pays the same order once more
        assert status == 200 and again["transaction_id"] != first
        wait_until(
            lambda: [r.status for r in _refunds()] == [RefundStatus.SUCCEEDED],
            message="the second payment was never refunded",
        )
        [refund] = _refunds()
        assert refund.duplicate_transaction_id == again["transaction_id"]
        assert refund.reason == "重复支付，自动退还" and refund.refund_id.startswith("5030")
        sent = box.refunds[refund.out_refund_no]
        assert sent.payload["transaction_id"] == again["transaction_id"]  # that payment only
        assert "out_trade_no" not in sent.payload
        assert sent.payload["amount"] == {"refund": 1300, "total": 1300, "currency": "CNY"}
        assert box.orders[no].refunded == 0 and box.orders[no].duplicates == {
            again["transaction_id"]: 1300
        }

        order = the_order(body["id"])  # the first payment stands: the order stays paid
        assert order.status == OrderStatus.PAID and order.transaction_id == first
        listed = client.get(f"{INSURANCE}/enrolments", headers=headers).get_json()
        assert listed[0]["status"] == "区局确认中"
        outcomes = sorted(n.outcome for n in db.session.query(PaymentNotification))
        assert outcomes == ["paid", "paid_twice_refunding", "refunded"]

        audit = (
            db.session.query(AuditRecord).filter_by(action="payments.refund_second_payment").one()
        )
        assert (
            audit.target_ids == [order.id] and audit.detail["out_refund_no"] == refund.out_refund_no
        )

        # the same second payment told again under another notification id: no second refund
        resource = box.transaction(box.orders[no]) | {"transaction_id": again["transaction_id"]}
        note = box.envelope("TRANSACTION.SUCCESS", "transaction", "again-2", resource)
        r = client.post("/api/integrations/wechatpay/v1/notify", data=note, headers=box.sign(note))
        assert r.status_code == 204
        assert len(_refunds()) == 1
        db.session.rollback()
        assert db.session.query(PaymentNotification).filter_by(outcome="duplicate").count() == 1

        district = login(client, "da_reviewer")
        rows = client.get(REFUNDS, headers=district).get_json()
        assert [(r["kind"], r["status"], r["amount"], r["member_name"]) for r in rows] == [
            ("重复支付", "已退款", "13.00", member.name)
        ]
        assert (
            client.get(REFUNDS, headers=district, query_string={"duplicate": "false"}).get_json()
            == []
        )
        other = login(client, "db_reviewer")  # another district sees nothing of it
        assert client.get(REFUNDS, headers=other).get_json() == []
        assert box.wait_idle()
        states = [m["data"]["phrase2"]["value"] for m in env.wechat.messages]
        assert states.count("已支付") == 1 and states.count("重复退款") == 1
