"""Template messages (公众号模板消息) to members who came through the service hall: the same
outbox as the subscribe messages, one message per member and event, sent through wechatpy
to the WeChat sandbox; a member back in the mini-program gets subscribe messages again."""

from __future__ import annotations

import pytest

from tests.insurance.helpers import TODAY, add_people, build_world, freeze_today, give_cards
from unioncard.extensions import db
from unioncard.models_base import utcnow
from unioncard.notifications import outbox
from unioncard.notifications.models import MessageStatus, SubscribeMessage
from unioncard.notifications.tasks import resend_stale
from unioncard.selfservice.models import MemberUser

from .hall_helpers import hall_member
from .helpers import API, live


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)
    return build_world(members_per_union=0)


def _hall_member(client, env, world, person, seq):
    member = add_people(world.org("gA2"), 1, start_seq=seq)[0]
    give_cards([member])
    hall_member(client, env, member, person)
    return member


def test_a_card_event_reaches_a_hall_member_once_as_a_template_message(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        member = _hall_member(client, env, world, "demo-hall-news", 620)
        row = {"member_id": member.id, "to_status": "办卡失败", "detail": None, "at": utcnow()}
        assert outbox.card_changes([row]) == 1
        outbox.card_changes([dict(row)])  # the same event written again (a replayed callback)
        db.session.commit()
        user = db.session.query(MemberUser).filter_by(member_id=member.id).one()
        assert [m["touser"] for m in env.wechat.templates] == [user.oa_openid]
        message = env.wechat.templates[0]
        cfg = client.application.config
        assert message["template_id"] == cfg["WECHAT_OA_TEMPLATES"]["card"]
        assert message["url"] == cfg["HALL_URL"] + "card"
        assert message["data"]["phrase2"]["value"] == "办卡失败"
        assert message["data"]["thing4"]["value"] == "请在服务大厅中查看原因，修改后重新申请"
        assert env.wechat.messages == []
        assert resend_stale.apply().get() == {}  # nothing left: nothing goes twice
        assert len(env.wechat.templates) == 1
        db.session.rollback()
        assert db.session.query(SubscribeMessage).one().status == MessageStatus.SENT


def test_not_following_the_account_is_not_retried_and_the_mini_program_is_unchanged(
    client, world, monkeypatch
):
    with live(client.application, monkeypatch) as env:
        member = _hall_member(client, env, world, "demo-hall-quiet", 630)
        user = db.session.query(MemberUser).filter_by(member_id=member.id).one()
        env.wechat.refusing.add(user.oa_openid)
        outbox.card_changes([{"member_id": member.id, "to_status": "已制卡", "at": utcnow()}])
        db.session.commit()
        db.session.rollback()
        message = db.session.query(SubscribeMessage).one()
        assert message.status == MessageStatus.REFUSED and message.attempts == 1
        assert env.wechat.templates == []
        # the same person now uses the mini-program (same unionid): subscribe messages again
        r = client.post(f"{API}/auth/login", json={"code": "demo-hall-quiet"})
        assert r.status_code == 200
        outbox.card_changes([{"member_id": member.id, "to_status": "已送达单位", "at": utcnow()}])
        db.session.commit()
        assert [m["data"]["phrase2"]["value"] for m in env.wechat.messages] == ["已送达单位"]
        assert env.wechat.messages[0]["touser"] == user.openid
        assert env.wechat.templates == []
