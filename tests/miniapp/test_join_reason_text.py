"""The union's reason for refusing a join application reaches the member as typed."""

from __future__ import annotations

import pytest

from tests.world import build_world

from .helpers import API, bind, live, login, member_login, rid


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def test_the_refusal_reason_keeps_its_punctuation(client, world, monkeypatch):
    union = world.org("gA2")
    with live(client.application, monkeypatch):
        headers = member_login(client)
        bind(client, headers, "周驳回", rid("151"), "13700000002")
        app_id = client.post(
            f"{API}/membership/applications",
            json={
                "union_id": union.id,
                "source": "灵活就业",
                "work_unit_address": "上海市杨浦区国定路（北门）",
            },
            headers=headers,
        ).get_json()["id"]
        reason = "请补充灵活就业证明（社保缴费记录），谢谢！"
        r = client.post(
            f"/api/admin/v1/join-applications/{app_id}/reject",
            json={"reason": reason},
            headers=login(client, "ga2_operator"),
        )
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["reason"] == reason
        current = client.get(f"{API}/membership/applications/current", headers=headers).get_json()
        assert current["reason"] == reason
