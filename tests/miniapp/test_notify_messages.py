"""Subscribe messages (订阅消息): written with the change (card log, bank callbacks,
enrolment moves), sent after commit through the real WeChat client against its sandbox,
once per member and event, retried after an outage, never blocking the change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.insurance.helpers import TODAY, build_world, freeze_today
from unioncard.cards.models import CardStatus, MemberCard
from unioncard.extensions import db
from unioncard.models_base import utcnow
from unioncard.notifications import outbox, sending
from unioncard.notifications.models import MessageStatus, SubscribeMessage
from unioncard.notifications.tasks import resend_stale
from unioncard.selfservice.models import MemberUser

from .helpers import API, bind, join_and_approve, live, member_login, rid, wait_until
from .pay_helpers import carded_member


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)
    return build_world(members_per_union=0)


def _states(env, openid=None):
    return [m["data"]["phrase2"]["value"] for m in env.wechat.messages
            if openid is None or m["touser"] == openid]  # fmt: skip


def test_card_progress_reaches_the_member_once_per_status(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        headers = member_login(client, "demo-card-news")
        bind(client, headers, "陈办卡", rid("161"), "13600000001", id_expiry="2036-05-31")
        join_and_approve(client, headers, world.org("gA2").id)
        r = client.post(f"{API}/card/applications", headers=headers, json={
            "branch_code": f"B{world.org('dA').id:04d}",
            "mailing_address": "上海市杨浦区国定路1号", "id_expiry": "2036-05-31"})  # fmt: skip
        assert r.status_code == 201, r.get_json()
        user = db.session.query(MemberUser).one()

        def delivered():
            card = db.session.query(MemberCard).one()
            return card.status == CardStatus.ACTIVATED and len(_states(env)) >= 3

        wait_until(delivered, message="the card events never arrived")
        env.boxes.bank.wait_idle()
        # 已办卡 came through the bank's bulk result callback; the events through move()
        assert _states(env, user.openid) == ["已办卡", "已制卡", "已送达单位"]
        message = env.wechat.messages[0]
        cfg = client.application.config
        assert message["template_id"] == cfg["WECHAT_SUBSCRIBE_TEMPLATES"]["card"]
        assert message["page"] == cfg["WECHAT_SUBSCRIBE_PAGES"]["card"]
        assert message["data"]["thing1"]["value"] == "工会会员服务卡"
        rows = db.session.query(SubscribeMessage).order_by(SubscribeMessage.id).all()
        assert [r.status for r in rows] == [MessageStatus.SENT] * 3
        # the beat finds nothing left to send; nothing goes twice
        assert resend_stale.apply().get() == {}
        assert len(env.wechat.messages) == 3


def test_same_event_written_twice_is_one_message(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        member, _ = carded_member(client, world)
        at = utcnow()
        row = {"member_id": member.id, "to_status": "已制卡", "detail": None, "at": at}
        assert outbox.card_changes([row]) == 1
        outbox.card_changes([dict(row)])
        outbox.card_changes([row | {"to_status": "待办中"}])  # not a status members hear of
        db.session.commit()
        assert db.session.query(SubscribeMessage).count() == 1


def test_unsent_message_is_retried_after_an_outage(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        member, _ = carded_member(client, world)
        env.wechat.fail_next(20, 503)
        outbox.card_changes([{"member_id": member.id, "to_status": "已送达单位", "at": utcnow()}])
        db.session.commit()  # the after-commit task tries once, WeChat is down
        db.session.rollback()
        message = db.session.query(SubscribeMessage).one()
        assert message.status == MessageStatus.PENDING and message.attempts == 1
        assert message.last_error and message.next_attempt_at > utcnow()
        assert env.wechat.messages == []
        assert sending.send_due(_wechat(client)) == {}  # not due yet: nothing is sent
        env.wechat.fail_next(0)
        env.wechat._failures.clear()
        later = utcnow() + timedelta(minutes=5)
        assert sending.send_due(_wechat(client), now=later) == {"已发送": 1}
        assert sending.send_due(_wechat(client), now=later) == {}
        db.session.rollback()
        message = db.session.query(SubscribeMessage).one()
        assert message.status == MessageStatus.SENT and message.attempts == 2
        assert _states(env) == ["已送达单位"]


def test_a_member_who_did_not_subscribe_is_not_asked_again(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        member, _ = carded_member(client, world)
        user = db.session.query(MemberUser).filter_by(member_id=member.id).one()
        env.wechat.refusing.add(user.openid)
        outbox.card_changes([{"member_id": member.id, "to_status": "已发放", "at": utcnow()}])
        db.session.commit()
        db.session.rollback()
        message = db.session.query(SubscribeMessage).one()
        assert message.status == MessageStatus.REFUSED and message.attempts == 1
        later = utcnow() + timedelta(hours=2)
        assert sending.send_due(_wechat(client), now=later) == {}


def test_members_without_wechat_get_no_rows(client, world):
    from tests.insurance.helpers import add_people

    member = add_people(world.org("gA1"), 1, start_seq=700)[0]
    assert outbox.card_changes([{"member_id": member.id, "to_status": "已办卡"}]) == 0
    db.session.commit()
    assert db.session.query(SubscribeMessage).count() == 0


def _wechat(client):
    from integrations.wechat.client import WeChatClient

    return WeChatClient.from_app(client.application)
