"""A channel the bank decided stays decided: a member refused with NAME_CHARSET goes to the
special channel, and retrying or adding them again keeps them there (our own GBK test
would put them back in 普通 and the bank would refuse them again); the clerk can still
switch by hand. Real HTTP to the bank and register sandboxes."""

from __future__ import annotations

import pytest

from tests.cards.helpers import CARDS, cast_world, login, served_with_sandboxes, wait_until
from unioncard.cards.models import CardBatch, CardStatus, MemberCard
from unioncard.cards.rules import BANK_CHANNEL_REASON
from unioncard.extensions import db


@pytest.fixture()
def live(ctx, monkeypatch):
    with served_with_sandboxes(ctx, monkeypatch) as boxes:
        yield boxes


def card(member_id) -> MemberCard:
    return db.session.query(MemberCard).filter_by(member_id=member_id).one()


def pending_row(client, clerk, member_id) -> dict:
    rows = client.get(f"{CARDS}/pending?page_size=100", headers=clerk).get_json()
    return next(r for r in rows if r["member_id"] == member_id)


def refused_by_bank(client, clerk, branch, member_id) -> None:
    """Add the member (普通: 珺 is in GBK), check, submit, and wait for the bank's refusal."""
    r = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [member_id]})
    assert r.get_json()["added"] == 1, r.get_json()
    assert card(member_id).channel.value == "普通"
    assert client.post(f"{CARDS}/pending/checks", headers=clerk, json={}).status_code == 202
    r = client.post(
        f"{CARDS}/batches", headers=clerk, json={"channel": "普通", "branch_code": branch}
    )
    assert r.status_code == 201, r.get_json()
    batch_id = r.get_json()["id"]
    wait_until(
        lambda: db.session.get(CardBatch, batch_id).feedback_at is not None, message="bank answers"
    )
    refused = card(member_id)
    assert (refused.status, refused.failure_code) == (CardStatus.FAILED, "NAME_CHARSET")
    assert (refused.channel.value, refused.channel_reason) == ("特殊", BANK_CHANNEL_REASON)


def test_retry_keeps_the_special_channel_the_bank_chose(client, live, ctx):
    world, ids = cast_world()
    clerk = login(client, "ga1_operator")
    branch = f"B{world.org('dA').id:04d}"
    member = ids["gbk_only"]
    refused_by_bank(client, clerk, branch, member)

    r = client.post(f"{CARDS}/members/{member}/retry", headers=clerk)
    assert r.status_code == 200, r.get_json()
    row = pending_row(client, clerk, member)
    assert (row["status"], row["channel"]) == ("待办中", "特殊")
    assert row["channel_reason"] == BANK_CHANNEL_REASON  # the clerk sees why
    log = client.get(f"{CARDS}/members/{member}/log", headers=clerk).get_json()
    assert log[-1]["action"] == "重新加入待办"
    assert log[-1]["detail"] == f"特殊通道（{BANK_CHANNEL_REASON}）"

    # the README's step 7: 完善信息, then the special batch goes through (printed by hand)
    r = client.put(
        f"{CARDS}/pending/{member}/info",
        headers=clerk,
        json={"id_type": "身份证", "id_expiry": "2036-05-31", "country": "中国"},
    )
    assert r.status_code == 200, r.get_json()
    r = client.post(
        f"{CARDS}/batches", headers=clerk, json={"channel": "特殊", "branch_code": branch}
    )
    assert r.status_code == 201, r.get_json()
    wait_until(lambda: card(member).status == CardStatus.ACTIVATED, message="bank issues")
    assert card(member).failure_code is None


def test_adding_again_keeps_it_and_the_clerk_can_still_switch(client, live, ctx):
    world, ids = cast_world()
    clerk = login(client, "ga1_operator")
    branch = f"B{world.org('dA').id:04d}"
    member = ids["gbk_only"]
    refused_by_bank(client, clerk, branch, member)

    # re-added through the card info list (a failed member is selectable)
    r = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [member]})
    assert r.get_json() == {"added": 1, "refused": []}
    assert pending_row(client, clerk, member)["channel"] == "特殊"
    # removed from the pending list and added once more: still the bank's decision
    assert client.delete(f"{CARDS}/pending/{member}", headers=clerk).status_code == 200
    assert card(member).status == CardStatus.NONE
    r = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [member]})
    assert r.get_json()["added"] == 1
    row = pending_row(client, clerk, member)
    assert (row["channel"], row["channel_reason"]) == ("特殊", BANK_CHANNEL_REASON)
    summary = client.get(f"{CARDS}/pending/summary", headers=clerk).get_json()
    assert (summary["special"]["total"], summary["normal"]["total"]) == (1, 0)

    # the clerk overrides by hand: 普通 again, and that choice is the clerk's
    r = client.put(f"{CARDS}/pending/{member}/channel", headers=clerk, json={"channel": "普通"})
    assert r.status_code == 200, r.get_json()
    row = pending_row(client, clerk, member)
    assert (row["channel"], row["channel_reason"]) == ("普通", "经办人切换")
    log = client.get(f"{CARDS}/members/{member}/log", headers=clerk).get_json()
    assert (log[-1]["action"], log[-1]["detail"]) == ("切换通道", "特殊 → 普通")
    # after a manual switch our own rule decides again on the next add (珺 is in GBK)
    assert client.delete(f"{CARDS}/pending/{member}", headers=clerk).status_code == 200
    client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [member]})
    row = pending_row(client, clerk, member)
    assert (row["channel"], row["channel_reason"]) == ("普通", None)
    # and switching to 特殊 by hand still works too
    r = client.put(f"{CARDS}/pending/{member}/channel", headers=clerk, json={"channel": "特殊"})
    assert r.status_code == 200, r.get_json()
    assert pending_row(client, clerk, member)["channel"] == "特殊"
