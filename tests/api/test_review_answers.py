"""The annual review says what it means: a unit is told it cannot review itself (whatever
its role), remarks and reasons keep the punctuation typed, and an approval does not carry
an earlier return's reason as its decision."""

from __future__ import annotations

from tests.api.test_reviews import REVIEWS, clock, confirmed_review, listed, members_of, world
from tests.world import login

__all__ = ["clock", "world"]  # fixtures

SELF_REVIEW = "不能审核本单位的年审，请由上级工会审核"


def test_a_unit_cannot_review_itself_whatever_its_role(client, world):
    op = login(client, "ga1_operator")
    rid = confirmed_review(client, op)["id"]
    assert client.post(f"{REVIEWS}/{rid}/submit", headers=op).status_code == 200
    for username in ("ga1_operator", "ga1_reviewer", "ga1_admin"):
        headers = login(client, username)
        for action, body in (("approve", None), ("reject", {"reason": "自行退回"})):
            r = client.post(f"{REVIEWS}/{rid}/{action}", headers=headers, json=body)
            assert (r.status_code, r.get_json()["message"]) == (403, SELF_REVIEW), (
                username,
                action,
            )
    # a role without the right elsewhere still reads the plain refusal, and learns nothing
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=login(client, "ga2_operator"))
    assert (r.status_code, r.get_json()["message"]) == (403, "您的账号没有此操作的权限")
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=login(client, "sa_reviewer"))
    assert r.status_code == 200, r.get_json()


def test_reasons_and_remarks_come_back_as_typed_and_approval_clears_the_return(client, world):
    op = login(client, "ga1_operator")
    m1, *_ = members_of(world, "gA1")
    rid = confirmed_review(client, op)["id"]
    remark = "已于2026年10月退休，手续已办（人事处：王某）！"
    r = client.put(
        f"{REVIEWS}/{rid}/marks/{m1.id}", headers=op, json={"reason": "退休", "remark": remark}
    )
    assert r.status_code == 200, r.get_json()
    assert [m["remark"] for m in listed(client, op, rid, "&result=不通过")] == [remark]
    assert client.post(f"{REVIEWS}/{rid}/submit", headers=op).status_code == 200

    upper = login(client, "sa_reviewer")
    reason = "\u3000请核实：朱某并未退休；另补充单位地址（楼层）！ "
    r = client.post(f"{REVIEWS}/{rid}/reject", headers=upper, json={"reason": reason})
    assert r.status_code == 200, r.get_json()
    typed = "请核实：朱某并未退休；另补充单位地址（楼层）！"
    assert (r.get_json()["status"], r.get_json()["decision_reason"]) == ("已退回", typed)
    assert client.get(f"{REVIEWS}/{rid}", headers=op).get_json()["decision_reason"] == typed

    assert client.post(f"{REVIEWS}/{rid}/submit", headers=op).status_code == 200
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=upper)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["decision_reason"]) == ("已通过", None)
    detail = client.get(f"{REVIEWS}/{rid}", headers=op).get_json()
    assert (detail["status"], detail["decision_reason"]) == ("已通过", None)
    assert [x["decision_reason"] for x in client.get(REVIEWS, headers=op).get_json()] == [None]
    # the member left with the remark as typed in the reason of the change
    history = client.get(f"/api/admin/v1/members/{m1.id}/status-history", headers=op).get_json()
    assert history[-1]["reason"] == f"2026年度年审不通过：退休（{remark}）"
