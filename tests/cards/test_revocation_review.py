"""撤销办卡批次审核 as the reviewer sees it: each request names its batch, its size, channel,
branch and the union that asks; the unit finds the requests of one batch (and the
reviewer's reason) by ``batch_id``; another union's batch is not found."""

from __future__ import annotations

from tests.cards.helpers import CARDS, cast_world, login
from tests.cards.test_clear_answers import _ready_members


def test_a_request_names_its_batch_and_union_and_is_found_by_batch(client, ctx):
    world, ids = cast_world()
    _ready_members(ids)
    clerk = login(client, "ga1_operator")
    ctx.config["TASK_MODE"] = "off"  # no bank feedback: the batch can be revoked
    try:
        batch = client.post(
            f"{CARDS}/batches",
            headers=clerk,
            json={"channel": "普通", "branch_code": f"B{world.org('dA').id:04d}"},
        ).get_json()
    finally:
        ctx.config["TASK_MODE"] = "eager"
    r = client.post(
        f"{CARDS}/batches/{batch['id']}/revocation",
        headers=clerk,
        json={"applicant_name": "王经办", "applicant_phone": "13912345678"},
    )
    assert r.status_code == 201, r.get_json()

    members = client.get(f"{CARDS}/batches/{batch['id']}/members", headers=clerk).get_json()
    assert {(m["result"], m["result_text"]) for m in members} == {(None, "银行未反馈")}

    district = login(client, "da_reviewer")
    [listed] = client.get(f"{CARDS}/revocations", headers=district).get_json()
    assert listed["batch_no"] == batch["batch_no"]
    assert listed["batch_total"] == 3
    assert listed["batch_channel"] == "普通"
    assert listed["branch_name"] == batch["branch_name"]
    assert listed["batch_submitted_at"] == batch["submitted_at"]
    assert listed["org_name"] == world.org("gA1").name
    assert listed["applicant_name"] == "王经办"
    assert listed["applicant_phone"] == "139****5678"

    reason = "批次无误，照常办理"
    r = client.post(
        f"{CARDS}/revocations/{listed['id']}/reject", headers=district, json={"reason": reason}
    )
    assert r.status_code == 200, r.get_json()
    mine = client.get(f"{CARDS}/revocations?batch_id={batch['id']}", headers=clerk).get_json()
    assert [(x["status"], x["decision_reason"]) for x in mine] == [("审核不通过", reason)]

    stranger = login(client, "gb1_operator")
    r = client.get(f"{CARDS}/revocations?batch_id={batch['id']}", headers=stranger)
    assert r.status_code == 404
    assert r.get_json()["message"] == "未找到该批次，或不在您的管辖范围内"
