"""保障类型 (职保中心), 保障金额设置 (区局, inside its window) and 集中参保时间 (working days by
China's official calendar), over HTTP."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.insurance.helpers import INSURANCE, freeze_today, login
from unioncard.extensions import db
from unioncard.insurance.models import Campaign, CoveragePlan, PlanSplit

PLAN = {
    "year": 2027,
    "name": "B类会员专享基本保障",
    "fee": "30.00",
    "half_year_fee": "15.00",
    "city_share": "13.00",
    "district_share": "10.00",
    "grassroots_share": "7.00",
    "individual_share": "17.00",
    "valid_from": "2027-01-01T00:00:00+08:00",
    "valid_to": "2027-12-31T23:59:00+08:00",
}


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_centre_creates_and_updates_a_plan(client, insurance_world):
    h = login(client, "city_center")
    r = client.post(f"{INSURANCE}/plans", json=PLAN, headers=h)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["fee"] == "30.00" and body["grassroots_share"] == "7.00"
    r = client.put(f"{INSURANCE}/plans/{body['id']}", json={"active": False}, headers=h)
    assert r.status_code == 200 and r.get_json()["active"] is False
    # the same name twice in a year
    r = client.post(f"{INSURANCE}/plans", json=PLAN, headers=h)
    assert r.status_code == 409 and "B类会员专享基本保障" in r.get_json()["message"]
    listed = client.get(f"{INSURANCE}/plans?year=2027", headers=login(client, "ga1_operator"))
    assert {p["plan"]["name"] for p in listed.get_json()} == {"A类会员专享基本保障", PLAN["name"]}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"grassroots_share": "6.99"}, "fee"),  # 13 + 10 + 6.99 != 30
        ({"fee": "0.1", "city_share": "0.1", "district_share": "0.2", "grassroots_share": "0"},
         "fee"),
        ({"city_share": "13.001", "fee": "30.001"}, "fee"),
        ({"half_year_fee": "31"}, "half_year_fee"),
        ({"valid_to": "2026-12-31T00:00:00+08:00"}, "valid_to"),
        ({"district_share": "-1", "grassroots_share": "18"}, "district_share"),
    ],
)  # fmt: skip
def test_bad_plans_are_refused_in_chinese_and_nothing_is_written(
    client, insurance_world, change, field
):
    before = count(CoveragePlan)
    r = client.post(f"{INSURANCE}/plans", json=PLAN | change, headers=login(client, "city_center"))
    assert r.status_code in (400, 422), r.get_json()
    assert field in r.get_json()["errors"] or field in str(r.get_json()["errors"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.get_json()["message"])
    assert count(CoveragePlan) == before


def test_only_the_city_centre_manages_plans(client, insurance_world):
    r = client.post(f"{INSURANCE}/plans", json=PLAN, headers=login(client, "da_center"))
    assert r.status_code == 403 and "市总工会职保中心" in r.get_json()["message"]
    r = client.post(f"{INSURANCE}/plans", json=PLAN, headers=login(client, "city_admin"))
    assert r.status_code == 403
    r = client.put(
        f"{INSURANCE}/plans/{insurance_world.plan.id}",
        json={"fee": "1"},
        headers=login(client, "ga1_operator"),
    )
    assert r.status_code == 403


def test_amounts_are_frozen_once_members_are_enrolled(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1").id
    r = client.post(
        f"{INSURANCE}/unions/{g}/collective/submit",
        json={"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027},
        headers=login(client, "ga1_operator"),
    )
    assert r.status_code == 201, r.get_json()
    r = client.put(
        f"{INSURANCE}/plans/{iw.plan.id}",
        json={"fee": "30", "district_share": "17", "individual_share": "17"},
        headers=login(client, "city_center"),
    )
    assert r.status_code == 409 and "不能再修改" in r.get_json()["message"]
    db.session.rollback()
    assert db.session.get(CoveragePlan, iw.plan.id).fee == 26


# --- district splits -------------------------------------------------------------------
@pytest.mark.parametrize(
    "day, ok",
    [(date(2026, 10, 25), False), (date(2026, 10, 26), True), (date(2026, 10, 30), True),
     (date(2026, 10, 31), False)],
)  # fmt: skip
def test_district_split_only_inside_its_window(client, insurance_world, time_machine, day, ok):
    freeze_today(time_machine, day)
    iw = insurance_world
    body = {"plan_id": iw.plan.id, "district_share": "10", "grassroots_share": "3"}
    r = client.put(f"{INSURANCE}/splits", json=body, headers=login(client, "da_admin"))
    if ok:
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["shares"] == {
            "fee": "26.00",
            "city": "13.00",
            "district": "10.00",
            "grassroots": "3.00",
            "individual": "0.00",
        }
    else:
        assert r.status_code == 409
        assert r.get_json()["message"] == (
            "保障金额设置时间为2026年10月26日至2026年10月30日，当前不在设置时间内"
        )
        assert count(PlanSplit) == 0


def test_district_split_applies_to_its_subtree_only(client, insurance_world, time_machine):
    freeze_today(time_machine, date(2026, 10, 28))
    iw = insurance_world
    h = login(client, "da_admin")
    bad = {"plan_id": iw.plan.id, "district_share": "10", "grassroots_share": "2"}
    r = client.put(f"{INSURANCE}/splits", json=bad, headers=h)
    assert r.status_code == 422 and "13.00" in str(r.get_json()["errors"])
    good = {"plan_id": iw.plan.id, "district_share": "10", "grassroots_share": "3"}
    assert client.put(f"{INSURANCE}/splits", json=good, headers=h).status_code == 200
    # a grassroots union can't set splits; the admin of a grassroots union neither
    r = client.put(f"{INSURANCE}/splits", json=good, headers=login(client, "ga1_admin"))
    assert r.status_code == 403 and "区局" in r.get_json()["message"]

    def shares(user):
        r = client.get(f"{INSURANCE}/plans?year=2027", headers=login(client, user))
        return r.get_json()[0]["shares"]

    assert shares("ga1_operator")["grassroots"] == "3.00"  # under dA
    assert shares("gb1_operator")["grassroots"] == "0.00"  # under dB: the plan's default
    freeze_today(time_machine, date(2026, 11, 22))
    g = iw.org("gA1").id
    r = client.post(
        f"{INSURANCE}/unions/{g}/collective/preview",
        json={"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027},
        headers=login(client, "ga1_operator"),
    )
    assert r.get_json()["totals"] == {
        "fee": "104.00",
        "city": "52.00",
        "district": "40.00",
        "grassroots": "12.00",
        "individual": "0.00",
    }


# --- campaigns -------------------------------------------------------------------------
CAMPAIGN = {
    "year": 2028,
    "split_from": "2027-10-25",
    "split_to": "2027-10-29",
    "unit_from": "2027-10-25",
    "unit_to": "2027-12-24",
    "payment_deadline": "2027-12-24",
    "district_from": "2027-12-27",
    "district_to": "2027-12-31",
}


def test_centre_opens_a_campaign(client, insurance_world):
    h = login(client, "city_center")
    r = client.post(f"{INSURANCE}/campaigns", json=CAMPAIGN, headers=h)
    assert r.status_code == 201, r.get_json()
    again = client.post(f"{INSURANCE}/campaigns", json=CAMPAIGN, headers=h)
    assert again.status_code == 409 and "2028年度集中参保已开启" in again.get_json()["message"]
    listed = client.get(f"{INSURANCE}/campaigns", headers=login(client, "ga1_operator"))
    assert [c["year"] for c in listed.get_json()] == [2028, 2027]


@pytest.mark.parametrize(
    "change, field, words",
    [
        # 2026-10-01 is National Day: a window may not end on it
        ({"year": 2027, "split_from": "2026-09-21", "split_to": "2026-10-01",
          "unit_from": "2026-09-21", "unit_to": "2026-12-25", "payment_deadline": "2026-12-25",
          "district_from": "2026-12-28", "district_to": "2026-12-31"}, "split_to",
         ["2026年10月1日", "国庆节"]),
        # 2026-12-26 is a Saturday
        ({"year": 2027, "split_from": "2026-10-26", "split_to": "2026-10-30",
          "unit_from": "2026-10-26", "unit_to": "2026-12-26", "payment_deadline": "2026-12-28",
          "district_from": "2026-12-28", "district_to": "2026-12-31"}, "unit_to",
         ["2026年12月26日", "周六"]),
        ({"payment_deadline": "2027-12-23"}, "payment_deadline", ["划款截止日"]),
        ({"district_from": "2027-12-20"}, "district_from", ["区局提交"]),
        ({"district_to": "2028-01-03"}, "district_to", ["保障年度开始前"]),
        ({"unit_from": "2027-12-25"}, "unit_to", ["开始日"]),
    ],
)  # fmt: skip
def test_campaign_dates_are_checked(client, insurance_world, change, field, words):
    db.session.execute(Campaign.__table__.delete())
    db.session.commit()
    r = client.post(
        f"{INSURANCE}/campaigns", json=CAMPAIGN | change, headers=login(client, "city_center")
    )
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert field in body["errors"]
    for word in words:
        assert word in body["errors"][field] and word in body["message"]
    assert count(Campaign) == 0


def test_a_window_may_end_on_a_make_up_workday(client, insurance_world):
    """2026-09-20 is a Sunday but an official working day (调休 for National Day)."""
    db.session.execute(Campaign.__table__.delete())
    db.session.commit()
    body = CAMPAIGN | {
        "year": 2027,
        "split_from": "2026-09-14",
        "split_to": "2026-09-20",
        "unit_from": "2026-09-14",
        "unit_to": "2026-12-25",
        "payment_deadline": "2026-12-25",
        "district_from": "2026-12-28",
        "district_to": "2026-12-31",
    }
    r = client.post(f"{INSURANCE}/campaigns", json=body, headers=login(client, "city_center"))
    assert r.status_code == 201, r.get_json()


def test_campaign_update_is_checked_too(client, insurance_world):
    iw = insurance_world
    h = login(client, "city_center")
    holiday_end = {
        "split_from": "2026-09-21",
        "split_to": "2026-09-30",
        "unit_from": "2026-09-21",
        "unit_to": "2026-10-01",
    }
    r = client.put(f"{INSURANCE}/campaigns/{iw.campaign.id}", json=holiday_end, headers=h)
    assert r.status_code == 422 and "国庆节" in r.get_json()["message"]
    r = client.put(
        f"{INSURANCE}/campaigns/{iw.campaign.id}", json={"unit_to": "2026-12-24"}, headers=h
    )
    assert r.status_code == 200 and r.get_json()["unit_to"] == "2026-12-24"
    r = client.put(
        f"{INSURANCE}/campaigns/{iw.campaign.id}",
        json={"unit_to": "2026-12-24"},
        headers=login(client, "da_admin"),
    )
    assert r.status_code == 403
