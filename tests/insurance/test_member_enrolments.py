"""会员详情 → 参保记录: one member's enrolments, masked, only inside the caller's scope."""

from __future__ import annotations

from tests.insurance.b_helpers import login
from tests.insurance.test_queries_payouts import _covered

MEMBERS = "/api/admin/v1/members"


def test_a_members_enrolments_for_the_detail_drawer(client, insurance_world, time_machine):
    iw = insurance_world
    _covered(client, iw, time_machine)
    member = iw.members["gA1"][0]
    r = client.get(f"{MEMBERS}/{member.id}/enrolments", headers=login(client, "ga1_operator"))
    assert r.status_code == 200, r.get_json()
    (row,) = r.get_json()
    assert row["member_id"] == member.id and row["year"] == 2027 and row["status"] == "已完成"
    assert row["batch_no"] == "BX2027-101-0001"
    assert row["id_number"] == member.id_number[:4] + "********" + member.id_number[-4:]
    # another district's clerk cannot reach the member at all
    r = client.get(f"{MEMBERS}/{member.id}/enrolments", headers=login(client, "db_operator"))
    assert r.status_code == 404
