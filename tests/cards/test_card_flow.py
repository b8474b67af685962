"""Card issuance end to end: real HTTP to the bank and register sandboxes, the bank calling
back into the app served on loopback, the roster PDF opened and read."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.cards.helpers import CARDS, cast_world, login, served_with_sandboxes, wait_until
from unioncard.cards.models import BatchStatus, CardBatch, CardStatus, MemberCard
from unioncard.cards.rules import BANK_CHANNEL_REASON
from unioncard.extensions import db


@pytest.fixture()
def live(ctx, monkeypatch):
    """The app on a loopback port and both sandboxes pointing at it."""
    with served_with_sandboxes(ctx, monkeypatch) as boxes:
        yield boxes


def card(member_id) -> MemberCard:
    return db.session.query(MemberCard).filter_by(member_id=member_id).one()


def test_collective_card_path(client, live, ctx):
    world, ids = cast_world()
    clerk = login(client, "ga1_operator")
    branch = f"B{world.org('dA').id:04d}"

    # 卡片信息管理 → 待办: selected members, with the refusals explained
    r = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": list(ids.values())})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["added"] == 7
    again = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["ok"]]})
    assert again.get_json()["refused"][0]["reason"] == "办理状态为「待办中」，无需添加"
    assert card(ids["rare"]).channel.value == "特殊"
    assert "𠮷" in card(ids["rare"]).channel_reason
    assert card(ids["passport"]).channel.value == "特殊"
    assert card(ids["gbk_only"]).channel.value == "普通"  # 珺 is in GBK
    summary = client.get(f"{CARDS}/pending/summary", headers=clerk).get_json()
    assert summary["normal"]["total"] == 5 and summary["special"]["total"] == 2

    # 提交系统校验 → the registers over HTTP (eager: runs after the commit)
    r = client.post(f"{CARDS}/pending/checks", headers=clerk, json={})
    assert r.status_code == 202, r.get_json()
    assert card(ids["unmatched"]).verification.value == "未通过"
    assert any("人口库" in x for x in card(ids["unmatched"]).verification_reasons)
    assert card(ids["expired"]).verification.value == "未通过"
    assert card(ids["ok"]).verification.value == "已通过"
    blocked = client.post(
        f"{CARDS}/batches", headers=clerk, json={"channel": "普通", "branch_code": branch}
    )
    assert blocked.status_code == 409 and "请移除" in blocked.get_json()["message"]

    # fix the expiry in place, check again, remove the one that cannot pass
    r = client.put(
        f"{CARDS}/pending/{ids['expired']}/id-expiry",
        headers=clerk,
        json={"id_expiry": "2035-01-01"},
    )
    assert r.status_code == 200
    assert client.post(f"{CARDS}/pending/checks", headers=clerk, json={}).status_code == 202
    assert card(ids["expired"]).verification.value == "已通过"
    r = client.post(f"{CARDS}/pending/remove-unready", headers=clerk, json={"channel": "普通"})
    assert r.get_json()["count"] == 1
    assert card(ids["unmatched"]).status == CardStatus.NONE

    # 提交办卡 → batch → outbox → bank (signed HTTP) → callbacks into the live app
    r = client.post(
        f"{CARDS}/batches", headers=clerk, json={"channel": "普通", "branch_code": branch}
    )
    assert r.status_code == 201, r.get_json()
    batch = r.get_json()
    assert batch["total"] == 4 and batch["batch_no"].startswith("CB")
    roster = client.get(f"{CARDS}/batches/{batch['id']}/roster", headers=clerk)
    assert roster.status_code == 200 and roster.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(roster.data)).pages)
    assert "工会会员服务卡办卡清册" in text and batch["batch_no"] in text and "王芳" in text
    assert b"/FontFile2" in roster.data  # the Chinese font is embedded
    roster.close()

    wait_until(
        lambda: (
            db.session.get(CardBatch, batch["id"]).feedback_at is not None
            and card(ids["ok"]).status == CardStatus.ACTIVATED
        ),
        message="bank answers",
    )
    answered = db.session.get(CardBatch, batch["id"])
    assert (answered.success_count, answered.failure_count) == (2, 2)
    assert answered.status == BatchStatus.ANSWERED
    assert card(ids["mismatch_at_bank"]).status == CardStatus.FAILED
    assert card(ids["mismatch_at_bank"]).failure_code == "ID_MISMATCH"
    moved = card(ids["gbk_only"])
    assert moved.failure_code == "NAME_CHARSET" and moved.channel.value == "特殊"
    listed = client.get(f"{CARDS}?card_status=已激活", headers=clerk).get_json()
    assert listed[0]["card_no"].startswith("6231") and "*" in listed[0]["card_no"]

    # a failed member, once fixed, goes back to the pending list
    r = client.post(f"{CARDS}/members/{ids['mismatch_at_bank']}/retry", headers=clerk)
    assert r.status_code == 200
    assert card(ids["mismatch_at_bank"]).status == CardStatus.PENDING

    # the card log tells the whole story
    log = client.get(f"{CARDS}/members/{ids['ok']}/log", headers=clerk).get_json()
    actions = [e["action"] for e in log]
    assert actions[:2] == ["加入待办", "系统校验"]
    for expected in ("提交办卡", "银行办卡成功", "已制卡", "已送达单位", "已激活"):
        assert expected in actions
    assert log[0]["actor"] == "gA1operator" and any(e["actor"] == "银行" for e in log)


def test_special_channel_and_revocation_reviewed_by_upper_union(client, live, ctx):
    world, ids = cast_world()
    clerk = login(client, "ga1_operator")
    branch = f"B{world.org('dA').id:04d}"
    client.post(
        f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["rare"], ids["passport"]]}
    )
    blocked = client.post(
        f"{CARDS}/batches", headers=clerk, json={"channel": "特殊", "branch_code": branch}
    )
    assert blocked.status_code == 409 and "信息未完善" in blocked.get_json()["message"]
    for key, id_type in (("rare", "身份证"), ("passport", "护照")):
        r = client.put(
            f"{CARDS}/pending/{ids[key]}/info",
            headers=clerk,
            json={"id_type": id_type, "id_expiry": "2031-01-01", "country": "中国"},
        )
        assert r.status_code == 200, r.get_json()
    live.bank.pause_callbacks()  # the bank takes its time: the batch can still be revoked
    batch = client.post(
        f"{CARDS}/batches", headers=clerk, json={"channel": "特殊", "branch_code": branch}
    ).get_json()
    wait_until(lambda: db.session.get(CardBatch, batch["id"]).status == BatchStatus.SENT)
    bad = client.post(
        f"{CARDS}/batches/{batch['id']}/revocation",
        headers=clerk,
        json={"applicant_name": "王经办", "applicant_phone": "123"},
    )
    assert bad.status_code == 422
    r = client.post(
        f"{CARDS}/batches/{batch['id']}/revocation",
        headers=clerk,
        json={"applicant_name": "王经办", "applicant_phone": "13912345678"},
    )
    assert r.status_code == 201
    assert r.get_json()["applicant_phone"] == "139****5678"
    revocation = r.get_json()["id"]
    # the unit cannot approve its own request; the district can
    assert (
        client.post(
            f"{CARDS}/revocations/{revocation}/approve", headers=login(client, "ga1_reviewer")
        ).status_code
        == 403
    )
    district = login(client, "da_reviewer")
    assert [x["id"] for x in client.get(f"{CARDS}/revocations", headers=district).get_json()] == [
        revocation
    ]
    r = client.post(f"{CARDS}/revocations/{revocation}/approve", headers=district)
    assert r.status_code == 200, r.get_json()
    revoked = db.session.get(CardBatch, batch["id"])
    assert revoked.status == BatchStatus.REVOKED
    assert card(ids["rare"]).status == CardStatus.NONE  # released, selectable again
    assert batch["batch_no"] in live.bank.revoked
    live.bank.resume_callbacks()
    again = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["rare"]]})
    assert again.get_json()["added"] == 1


# --- a channel the bank decided stays decided ----------------------------------------------
# A member refused with NAME_CHARSET goes to the special channel; retrying or adding them
# again keeps them there (our own GBK test would put them back in 普通 and the bank would
# refuse them again); the clerk can still switch by hand.


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


@pytest.fixture()
def refused(client, live, ctx):
    """王珺 (珺 is in GBK, not in GB 2312) refused by the bank: (clerk, branch, member id)."""
    world, ids = cast_world()
    clerk = login(client, "ga1_operator")
    branch = f"B{world.org('dA').id:04d}"
    refused_by_bank(client, clerk, branch, ids["gbk_only"])
    return clerk, branch, ids["gbk_only"]


def test_retry_keeps_the_special_channel_the_bank_chose(client, refused):
    clerk, branch, member = refused

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


def test_adding_again_keeps_it_and_the_clerk_can_still_switch(client, refused):
    clerk, _branch, member = refused

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
