"""社保卡参保: "获取社保卡和就业状态" over real HTTP to the registers sandbox, the 待校验 /
待提交 lists, a second click refused, an outage and its retry, and the submission."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.cards.helpers import served_with_sandboxes
from tests.insurance.helpers import INSURANCE, add_people, login
from unioncard.extensions import db
from unioncard.insurance.models import CheckStatus, Enrolment, SocialSecurityCheck
from unioncard.members.models import Member


@pytest.fixture()
def live(insurance_world, monkeypatch, ctx):
    with served_with_sandboxes(ctx, monkeypatch) as boxes:
        yield boxes


def social_world(iw):
    """gA1's social channel: two plain (seq 104/105), 待确认, 封存, 不在职, a retired man,
    and a passport holder who is never asked."""
    g = iw.org("gA1")
    people = {
        "plain": iw.uncarded["gA1"],
        "to_confirm": add_people(g, 1, start_seq=912),
        "sealed": add_people(g, 1, start_seq=921),
        "unemployed": add_people(g, 1, start_seq=926),
        "retired": add_people(g, 1, start_seq=131, birth="19600101", gender="男"),
        "passport": add_people(g, 1, start_seq=140, id_type="护照"),
    }
    return {k: [m.id for m in v] for k, v in people.items()}


def lists(client, org, h, tab, query=""):
    r = client.get(f"{INSURANCE}/unions/{org.id}/social/{tab}?year=2027{query}", headers=h)
    assert r.status_code == 200, r.get_json()
    return {m["member_id"]: m for m in r.get_json()}


def test_register_answers_sort_members_into_the_lists(client, insurance_world, live):
    iw = insurance_world
    g = iw.org("gA1")
    ids = social_world(iw)
    h = login(client, "ga1_operator")
    before = lists(client, g, h, "to-check")
    assert set(before) == {
        *ids["plain"], *ids["to_confirm"], *ids["sealed"], *ids["unemployed"], *ids["retired"]
    }  # fmt: skip
    assert all("尚未获取" in m["reason"] for m in before.values())

    r = client.post(f"{INSURANCE}/unions/{g.id}/social/checks", json={"year": 2027}, headers=h)
    assert r.status_code == 202, r.get_json()
    check_id = r.get_json()["id"]
    assert r.get_json()["expected_by"] == "2026-11-23"  # the next working day after Sunday
    # the task ran after the commit, over HTTP to the sandbox
    assert ("/social-security/status", 6) in live.registers.calls
    check = client.get(f"{INSURANCE}/social/checks/{check_id}", headers=h).get_json()
    assert (check["status"], check["member_count"], check["answered_count"]) == ("已返回", 6, 6)

    to_submit = lists(client, g, h, "to-submit")
    assert set(to_submit) == set(ids["plain"])
    assert {m["social_card_status"] for m in to_submit.values()} == {"正常"}
    to_check = lists(client, g, h, "to-check")
    assert set(to_check) == {*ids["to_confirm"], *ids["sealed"], *ids["unemployed"]}
    assert "待确认" in to_check[ids["to_confirm"][0]]["reason"]
    assert "封存" in to_check[ids["sealed"][0]]["reason"]
    assert "不在职" in to_check[ids["unemployed"][0]]["reason"]
    sealed = lists(client, g, h, "to-check", "&social_card_status=封存")
    assert set(sealed) == set(ids["sealed"])
    db.session.rollback()
    retired = db.session.get(Member, ids["retired"][0])
    assert retired.retired_on == date(2020, 1, 1)  # his 60th birthday, as the register says
    stats = client.get(f"{INSURANCE}/unions/{g.id}/collective/stats?year=2027", headers=h)
    assert stats.get_json()["retired"] == 1

    # the 待确认 member, once confirmed, moves to 待提交
    r = client.post(
        f"{INSURANCE}/unions/{g.id}/collective/confirmations",
        json={"year": 2027, "member_id": ids["to_confirm"][0]},
        headers=h,
    )
    assert r.status_code == 200
    assert set(lists(client, g, h, "to-submit")) == {*ids["plain"], *ids["to_confirm"]}

    # tick and submit
    body = {"plan_id": iw.plan.id, "year": 2027, "member_ids": ids["plain"]}
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=body, headers=h)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["kind"], r.get_json()["member_count"]) == ("社保卡参保", 2)
    assert set(lists(client, g, h, "to-submit")) == set(ids["to_confirm"])
    db.session.rollback()
    kinds = set(db.session.scalars(select(Enrolment.kind)))
    assert {k.value for k in kinds} == {"社保卡参保"}


def test_a_second_click_while_waiting_is_refused(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    db.session.add(
        SocialSecurityCheck(
            org_id=g.id, status=CheckStatus.WAITING, member_count=2, expected_by=date(2026, 11, 23)
        )
    )
    db.session.commit()
    r = client.post(
        f"{INSURANCE}/unions/{g.id}/social/checks",
        json={"year": 2027},
        headers=login(client, "ga1_operator"),
    )
    assert r.status_code == 409
    assert "预计2026年11月23日前返回结果，请勿重复点击" in r.get_json()["message"]
    db.session.rollback()
    assert db.session.query(SocialSecurityCheck).count() == 1


def test_an_outage_fails_the_check_and_a_retry_succeeds(client, insurance_world, live):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    live.registers.fail_next(5)  # more than the client's retries
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/checks", json={"year": 2027}, headers=h)
    assert r.status_code == 202
    failed = client.get(f"{INSURANCE}/social/checks/{r.get_json()['id']}", headers=h).get_json()
    assert failed["status"] == "查询失败" and "暂不可用" in failed["error"]
    assert set(lists(client, g, h, "to-submit")) == set()
    live.registers.fail_next(0)
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/checks", json={"year": 2027}, headers=h)
    assert r.status_code == 202
    again = client.get(f"{INSURANCE}/social/checks/{r.get_json()['id']}", headers=h).get_json()
    assert again["status"] == "已返回"
    assert set(lists(client, g, h, "to-submit")) == {m.id for m in iw.uncarded["gA1"]}
    listed = client.get(f"{INSURANCE}/social/checks?org_id={g.id}", headers=h).get_json()
    assert [c["status"] for c in listed] == ["已返回", "查询失败"]


def test_nothing_to_ask_and_scope(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA2")  # only carded members
    r = client.post(
        f"{INSURANCE}/unions/{g.id}/social/checks",
        json={"year": 2027},
        headers=login(client, "ga2_operator"),
    )
    assert r.status_code == 409 and "没有需要获取" in r.get_json()["message"]
    r = client.post(
        f"{INSURANCE}/unions/{iw.org('gA1').id}/social/checks",
        json={"year": 2027},
        headers=login(client, "ga2_operator"),
    )
    assert r.status_code == 404
    r = client.get(
        f"{INSURANCE}/unions/{iw.org('gA1').id}/social/to-submit",
        headers=login(client, "gb1_operator"),
    )
    assert r.status_code == 404
    db.session.rollback()
    assert db.session.query(SocialSecurityCheck).count() == 0
