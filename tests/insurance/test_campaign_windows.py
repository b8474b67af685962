"""Where today stands in a campaign's windows (the console's countdown and closed banners read
it from /campaigns), agreeing with the API's refusals; the monitor's counts per channel."""

from __future__ import annotations

from datetime import date

import pytest

from tests.insurance.b_helpers import HANDLER, REVIEW, sent_batch, submit_for
from tests.insurance.helpers import INSURANCE, freeze_today, login

OPEN = "进行中"


@pytest.mark.parametrize(
    "day, state, days_left, days_to_start",
    [
        (date(2026, 12, 26), "未开始", None, 2),
        (date(2026, 12, 27), "未开始", None, 1),
        (date(2026, 12, 28), OPEN, 4, 0),
        (date(2026, 12, 31), OPEN, 1, 0),
        (date(2027, 1, 1), "已结束", None, None),
    ],
)
def test_district_window_state_agrees_with_the_submit_refusal(
    client, insurance_world, time_machine, day, state, days_left, days_to_start
):
    iw = insurance_world
    h = login(client, "da_reviewer")
    sub = submit_for(iw, "gA1")
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [sub.id]})
    assert r.status_code == 200, r.get_json()
    freeze_today(time_machine, day)
    listed = client.get(f"{INSURANCE}/campaigns", headers=h)
    assert listed.status_code == 200, listed.get_json()
    (campaign,) = listed.get_json()
    assert campaign["today"] == day.isoformat()
    assert campaign["district_window"] == {
        "state": state,
        "days_left": days_left,
        "days_to_start": days_to_start,
    }
    answer = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert answer.status_code == (201 if state == OPEN else 409), answer.get_json()


def test_split_and_unit_windows_are_answered_too(client, insurance_world, time_machine):
    freeze_today(time_machine, date(2026, 10, 30))  # the split window's last day
    (campaign,) = client.get(f"{INSURANCE}/campaigns", headers=login(client, "da_admin")).get_json()
    assert campaign["split_window"]["state"] == OPEN
    assert campaign["split_window"]["days_left"] == 1
    assert campaign["unit_window"]["state"] == OPEN
    freeze_today(time_machine, date(2026, 10, 31))
    (campaign,) = client.get(f"{INSURANCE}/campaigns", headers=login(client, "da_admin")).get_json()
    assert campaign["split_window"]["state"] == "已结束"
    body = {"plan_id": insurance_world.plan.id, "district_share": "10", "grassroots_share": "3"}
    r = client.put(f"{INSURANCE}/splits", json=body, headers=login(client, "da_admin"))
    assert r.status_code == 409


def test_monitor_counts_each_channel_per_unit_and_district(client, insurance_world, time_machine):
    iw = insurance_world
    sent_batch(client, iw, time_machine, "gA1")  # gA1: 4 card + 2 social, sent
    submit_for(iw, "gA2")  # gA2: 3 card, pending
    body = client.get(
        f"{INSURANCE}/monitor", headers=login(client, "city_center"), query_string={"year": 2027}
    ).get_json()
    units = {u["org_id"]: u for u in body["by_unit"]}
    assert units[iw.org("gA1").id]["by_kind"] == {"会员卡参保": 4, "社保卡参保": 2}
    assert units[iw.org("gA1").id]["by_status"] == {"职保中心确认中": 6}
    assert units[iw.org("gA1").id]["submissions"] == 2
    assert units[iw.org("gA2").id]["by_kind"] == {"会员卡参保": 3}
    (district,) = [d for d in body["by_district"] if d["org_name"] == iw.org("dA").name]
    assert district["by_kind"] == {"会员卡参保": 7, "社保卡参保": 2}
    assert district["by_status"] == {"职保中心确认中": 6, "区局确认中": 3}
    assert (district["submissions"], district["members"]) == (3, 9)
