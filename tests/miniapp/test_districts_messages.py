"""The hall's lists: districts to pick from first, and 消息 — each member sees only their own."""

from __future__ import annotations

import pytest

from tests.world import build_world
from unioncard.extensions import db
from unioncard.notifications.models import MessageStatus, SubscribeMessage
from unioncard.orgs.models import Org, OrgLevel
from unioncard.selfservice.models import MemberUser

from .helpers import API, bind, join_and_approve, live, member_login, rid


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def test_districts_are_listed_by_code_with_their_names(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = member_login(client)
        r = client.get(f"{API}/districts", headers=headers)
        assert r.status_code == 200
        expected = [
            {"code": o.district_code, "name": o.name}
            for o in db.session.query(Org)
            .filter(Org.level == OrgLevel.DISTRICT)
            .order_by(Org.district_code)
        ]
        assert len(expected) >= 2 and r.get_json() == expected
        assert client.get(f"{API}/districts").status_code == 401


def _message(user, key, state, detail=None):
    db.session.add(
        SubscribeMessage(
            user_id=user.id, member_id=user.member_id, topic="card", event_key=key,
            state=state, detail=detail, status=MessageStatus.SENT,
        )
    )  # fmt: skip


def test_messages_are_the_members_own_newest_first(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        mine = member_login(client)
        bind(client, mine, "周消息", rid("191"), "13600019101")
        join_and_approve(client, mine, world.org("gA2").id)
        theirs = member_login(client)
        bind(client, theirs, "吴别人", rid("193"), "13600019301")
        join_and_approve(client, theirs, world.org("gA2").id)
        me, other = db.session.query(MemberUser).order_by(MemberUser.id).all()
        _message(me, "card:待办中:1", "待办中")
        _message(me, "card:已办卡:2", "已办卡", "卡号尾号 0624")
        _message(other, "card:办卡失败:3", "办卡失败", "姓名与证件号码不符")
        db.session.commit()

        r = client.get(f"{API}/messages", headers=mine)
        assert r.status_code == 200
        body = r.get_json()
        assert [m["state"] for m in body] == ["已办卡", "待办中"]
        assert body[0]["topic"] == "会员服务卡" and body[0]["status"] == "已发送"
        assert body[0]["detail"] == "卡号尾号 0624"
        assert [m["state"] for m in client.get(f"{API}/messages", headers=theirs).get_json()] == [
            "办卡失败"
        ]
