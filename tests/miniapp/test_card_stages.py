"""办卡进度: the six stages the hall and the mini-program show, built from the card log of the
current application (校验, 提交银行, 银行结果 with the bank's reason, 制卡, 送达, 激活), and
whether the member may still cancel."""

from __future__ import annotations

import pytest

from tests.world import build_world
from unioncard.cards.models import CardStatus, MemberCard
from unioncard.extensions import db

from .helpers import API, bind, join_and_approve, live, member_login, rid, wait_until

NAMES = ["校验", "提交银行", "银行结果", "制卡", "送达", "激活"]


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def _apply(client, world, seq, name):
    headers = member_login(client)
    bind(client, headers, name, rid(seq), f"136000{seq}01", id_expiry="2036-05-31")
    join_and_approve(client, headers, world.org("gA2").id)
    body = {
        "branch_code": f"B{world.org('dA').id:04d}",
        "mailing_address": "上海市杨浦区国定路1号",
        "id_expiry": "2036-05-31",
    }
    r = client.post(f"{API}/card/applications", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return headers


def _view(client, headers):
    return client.get(f"{API}/card/application", headers=headers).get_json()


def _status():
    db.session.rollback()
    return db.session.query(MemberCard).one().status


def test_stages_follow_the_card_to_activation(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = _apply(client, world, "181", "孙进度")
        wait_until(lambda: _status() == CardStatus.ACTIVATED, message="no activation")
        view = _view(client, headers)
        assert [s["name"] for s in view["stages"]] == NAMES
        assert [s["state"] for s in view["stages"]] == ["已完成"] * 6
        assert all(s["at"] for s in view["stages"])
        assert view["cancellable"] is False


def test_a_bank_refusal_shows_its_reason_and_stops_the_timeline(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = _apply(client, world, "444", "钱不符")  # the bank sandbox: ID_MISMATCH
        wait_until(lambda: _status() == CardStatus.FAILED, message="the bank never answered")
        stages = {s["name"]: s for s in _view(client, headers)["stages"]}
        assert stages["校验"]["state"] == "已完成" and stages["提交银行"]["state"] == "已完成"
        assert stages["银行结果"]["state"] == "未通过"
        assert "姓名与证件号码不符" in stages["银行结果"]["detail"]
        assert [stages[n]["state"] for n in NAMES[3:]] == ["未开始"] * 3


def test_failed_checks_show_the_reasons_and_nothing_after(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = _apply(client, world, "902", "李不符")  # 人口库: no match
        view = _view(client, headers)
        assert view["status"] == "校验未通过" and view["cancellable"] is False
        first, *rest = view["stages"]
        assert first["name"] == "校验" and first["state"] == "未通过"
        assert "人口库" in first["detail"]
        assert [s["state"] for s in rest] == ["未开始"] * 5
