"""Prose people type (reasons, remarks, addresses) is kept as typed, full-width punctuation
included; only numbers, codes and names are normalised to half-width."""

from __future__ import annotations

import pytest

from tests.world import build_world, login, member_of
from unioncard.members.idcard import free_text, normalise_text

MEMBERS = "/api/admin/v1/members"


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=2)


def test_free_text_keeps_what_normalise_text_folds():
    typed = "\u3000批次无误，照常办理（见附件：Ａ座）！\u200b "
    assert free_text(typed) == "批次无误，照常办理（见附件：Ａ座）！"
    assert normalise_text(typed) == "批次无误,照常办理(见附件:A座)!"  # numbers and codes only
    assert free_text(None) == "" and free_text(13812345678.0) == "13812345678"


def test_member_reasons_and_address_keep_their_punctuation(client, world):
    op = login(client, "ga1_operator")
    member = member_of(world.org("gA1"))
    address = "上海市杨浦区黄兴路1599号（东门，３楼）"
    r = client.patch(f"{MEMBERS}/{member.id}", headers=op, json={"work_address": address})
    assert r.status_code == 200, r.get_json()
    assert client.get(f"{MEMBERS}/{member.id}", headers=op).get_json()["work_address"] == address

    reason = "本人申请，已办离职手续（2026年11月）！"
    r = client.post(
        f"{MEMBERS}/{member.id}/status", headers=op, json={"status": "离职", "reason": reason}
    )
    assert r.status_code == 200, r.get_json()
    history = client.get(f"{MEMBERS}/{member.id}/status-history", headers=op).get_json()
    assert [h["reason"] for h in history] == [reason]

    why = "会员本人来电，核对手机号码；已登记。"
    r = client.post(
        f"{MEMBERS}/{member.id}/reveal", headers=op, json={"fields": ["mobile"], "reason": why}
    )
    assert r.status_code == 200, r.get_json()
    audit = client.get("/api/admin/v1/audit?action=member.reveal", headers=op).get_json()
    assert audit[0]["detail"]["reason"] == why
