"""集中参保 preview: a plan other than the one fixed for the year is named in the preview
answer (the plan fixed, and the channel that fixed it), not only refused on submit."""

from __future__ import annotations

from decimal import Decimal

from tests.insurance.helpers import INSURANCE, make_plan
from tests.insurance.test_collective import card_submit, login, make_social_ready, rows, url
from unioncard.insurance.models import UnitSubmission

FIXED = (
    "本年度本单位已选择保障类型：A类会员专享基本保障（由会员卡参保首次提交确定），"
    "同一保障年度只能选择一个保障类型"
)


def test_preview_names_the_plan_fixed_for_the_year(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    other = make_plan(
        iw.world, name="B类会员专享基本保障", fee=Decimal("30"), district_share=Decimal("17")
    )
    make_social_ready(iw.uncarded["gA1"])
    social = {
        "kind": "社保卡参保",
        "plan_id": other.id,
        "year": 2027,
        "member_ids": [m.id for m in iw.uncarded["gA1"]],
    }
    # nothing fixed yet: any plan may be chosen
    free = client.post(url(g, "preview"), json=social, headers=h).get_json()
    assert (free["fixed_plan_name"], free["fixed_by_kind"], free["plan_conflict"]) == (None,) * 3
    assert free["confirm_text"] == "您选择的保障类型为：B类会员专享基本保障，请确认无误后再提交！"

    assert client.post(url(g, "submit"), json=card_submit(iw), headers=h).status_code == 201
    r = client.post(url(g, "preview"), json=social, headers=h)
    assert r.status_code == 200, r.get_json()
    p = r.get_json()
    assert (p["fixed_plan_name"], p["fixed_plan_id"], p["fixed_by_kind"]) == (
        "A类会员专享基本保障",
        iw.plan.id,
        "会员卡参保",
    )
    assert p["plan_conflict"] == FIXED and p["confirm_text"] == FIXED
    # the submit refuses with the very same words, and writes nothing
    submit = {k: v for k, v in social.items() if k != "kind"}
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=submit, headers=h)
    assert (r.status_code, r.get_json()["message"]) == (409, FIXED)
    assert rows(UnitSubmission, kind="社保卡参保") == 0
    # the fixed plan itself previews without a conflict
    same = client.post(url(g, "preview"), json=social | {"plan_id": iw.plan.id}, headers=h)
    assert same.get_json()["plan_conflict"] is None
