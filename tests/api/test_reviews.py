"""The annual review (年审) through the API: unit information, members by list and by file,
submit, the upper union rejects then approves, the failing members leave, once a year."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.world import build_world, login
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.members.models import Member, MemberStatus, MemberStatusChange
from unioncard.orgs.models import Org
from unioncard.reviews import services as review_services
from unioncard.reviews.models import AnnualReviewMark, AnnualReviewResult, ReviewReminder

REVIEWS = "/api/admin/v1/reviews"
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture()
def clock(monkeypatch):
    """The review clock, frozen; ``clock.set(moment)`` moves it."""

    class Frozen:
        now = NOW

        def set(self, moment: datetime) -> None:
            self.now = moment

    frozen = Frozen()
    monkeypatch.setattr(review_services, "clock", lambda: frozen.now)
    return frozen


@pytest.fixture()
def world(ctx, clock):
    return build_world(members_per_union=4)


def members_of(world, key) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member).where(Member.org_id == world.org(key).id).order_by(Member.id)
        )
    )


def start(client, headers, **body):
    return client.post(REVIEWS, headers=headers, json=body)


def confirmed_review(client, headers) -> dict:
    review = start(client, headers).get_json()
    r = client.put(f"{REVIEWS}/{review['id']}/unit", headers=headers, json={})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def fill(template: bytes, rows: list[tuple], edit=None) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    for i, row in enumerate(rows):
        for letter, value in zip("ABC", row, strict=False):
            ws[f"{letter}{4 + i}"] = value
    if edit:
        edit(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_of(client, headers, review_id) -> bytes:
    r = client.get(f"{REVIEWS}/{review_id}/template", headers=headers)
    assert r.status_code == 200
    data = r.data
    r.close()
    return data


def upload(client, headers, review_id, data: bytes, name: str = "年审.xlsx"):
    return client.post(
        f"{REVIEWS}/{review_id}/upload",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name)},
    )


def listed(client, headers, review_id, query: str = "") -> list[dict]:
    r = client.get(f"{REVIEWS}/{review_id}/members?page_size=100{query}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def actions(prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.action.startswith(prefix))
            .order_by(AuditRecord.id)
        )
    )


def test_the_whole_path_list_file_reject_approve_and_once_a_year(client, world):
    op = login(client, "ga1_operator")
    gA1 = world.org("gA1")
    m1, m2, m3, m4 = members_of(world, "gA1")

    r = start(client, op)
    assert r.status_code == 201, r.get_json()
    review = r.get_json()
    rid = review["id"]
    assert (review["org_id"], review["year"], review["status"]) == (gA1.id, 2026, "进行中")
    assert review["counts"] == {
        "members": 4,
        "passed": 4,
        "failed": 0,
        "by_reason": {"退休": 0, "离职": 0, "死亡": 0},
    }

    # step 1: a correction goes through the org validation, then is confirmed and kept
    r = client.put(f"{REVIEWS}/{rid}/unit", headers=op, json={"uscc": "91310000MA1FL0000X"})
    assert r.status_code == 422
    assert "统一社会信用代码无效" in r.get_json()["errors"]["uscc"][0]
    r = client.put(
        f"{REVIEWS}/{rid}/unit",
        headers=op,
        json={"address": "上海市杨浦区国定东路200号", "contact_name": "张敏"},
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["unit_info"]["address"] == "上海市杨浦区国定东路200号"
    assert body["unit_info"]["name"] == gA1.name
    assert body["unit_confirmed_by_name"]
    assert db.session.get(Org, gA1.id).address == "上海市杨浦区国定东路200号"
    assert actions("org.update") == ["org.update"] and actions("review.unit") == ["review.unit"]

    # step 2 by list: every active member, paginated, filterable; mark and unmark
    page = client.get(f"{REVIEWS}/{rid}/members?page_size=3", headers=op)
    assert len(page.get_json()) == 3
    assert '"total": 4' in page.headers["X-Pagination"]
    assert all("*" in m["id_number"] for m in page.get_json())
    for member, reason in ((m1, "退休"), (m2, "离职"), (m4, "死亡")):
        r = client.put(f"{REVIEWS}/{rid}/marks/{member.id}", headers=op, json={"reason": reason})
        assert r.status_code == 200, r.get_json()
        assert (r.get_json()["result"], r.get_json()["reason"]) == ("不通过", reason)
    r = client.delete(f"{REVIEWS}/{rid}/marks/{m4.id}", headers=op)
    assert r.status_code == 200 and r.get_json()["result"] == "通过"
    failing = listed(client, op, rid, "&result=不通过")
    assert [(m["member_id"], m["reason"], m["source"]) for m in failing] == [
        (m1.id, "退休", "列表"),
        (m2.id, "离职", "列表"),
    ]
    assert [m["member_id"] for m in listed(client, op, rid, "&reason=离职")] == [m2.id]
    assert [m["member_id"] for m in listed(client, op, rid, f"&name={m3.name}")] == [m3.id]
    assert len(listed(client, op, rid, "&result=通过")) == 2

    # step 2 by file: merged into the marks (the file wins for the same member)
    data = fill(
        template_of(client, op, rid), [(m2.id_number, "退休", "已办退休"), (m3.id_number, "死亡")]
    )
    r = upload(client, op, rid, data)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["rows"], r.get_json()["added"], r.get_json()["changed"]) == (2, 1, 1)
    assert r.get_json()["counts"]["by_reason"] == {"退休": 2, "离职": 0, "死亡": 1}
    failing = listed(client, op, rid, "&result=不通过")
    assert [(m["member_id"], m["reason"], m["source"]) for m in failing] == [
        (m1.id, "退休", "列表"),
        (m2.id, "退休", "文件"),
        (m3.id, "死亡", "文件"),
    ]

    # submit; the unit cannot approve its own review, nor change it while it waits
    r = client.post(f"{REVIEWS}/{rid}/submit", headers=op)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "待审核" and r.get_json()["counts"]["failed"] == 3
    assert client.post(f"{REVIEWS}/{rid}/submit", headers=op).status_code == 409
    r = client.put(f"{REVIEWS}/{rid}/marks/{m4.id}", headers=op, json={"reason": "离职"})
    assert r.status_code == 409
    assert client.post(f"{REVIEWS}/{rid}/approve", headers=op).status_code == 403  # no right
    own_admin = login(client, "ga1_admin")
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=own_admin)
    assert r.status_code == 403
    assert r.get_json()["message"] == "不能审核本单位的年审，请由上级工会审核"

    # the upper union sees the submission with the failing members, rejects with a reason
    upper = login(client, "sa_reviewer")
    submitted = client.get(f"{REVIEWS}?status=待审核", headers=upper).get_json()
    assert [s["id"] for s in submitted] == [rid]
    seen = listed(client, upper, rid, "&result=不通过")
    assert [(m["name"], m["reason"]) for m in seen] == [
        (m1.name, "退休"),
        (m2.name, "退休"),
        (m3.name, "死亡"),
    ]
    r = client.post(f"{REVIEWS}/{rid}/reject", headers=upper, json={"reason": " "})
    assert r.status_code == 422
    r = client.post(
        f"{REVIEWS}/{rid}/reject", headers=upper, json={"reason": "朱某并未死亡，请核实"}
    )
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["decision_reason"]) == (
        "已退回",
        "朱某并未死亡，请核实",
    )
    assert client.post(f"{REVIEWS}/{rid}/approve", headers=upper).status_code == 409

    # the unit corrects and resubmits; the upper union approves
    assert client.delete(f"{REVIEWS}/{rid}/marks/{m3.id}", headers=op).status_code == 200
    assert client.post(f"{REVIEWS}/{rid}/submit", headers=op).status_code == 200
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=upper)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "已通过" and body["decided_by_name"]
    assert (body["reviewed_count"], body["failed_count"]) == (4, 2)

    # the failing members left the union: status changed through the machine, history kept
    db.session.expire_all()
    assert [m.status for m in members_of(world, "gA1")] == [
        MemberStatus.RETIRED,
        MemberStatus.RETIRED,
        MemberStatus.ACTIVE,
        MemberStatus.ACTIVE,
    ]
    history = client.get(f"/api/admin/v1/members/{m1.id}/status-history", headers=op).get_json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [("正常", "退休")]
    assert history[0]["reason"] == "2026年度年审不通过：退休"
    assert history[0]["actor_name"] == world.accounts["sa_reviewer"].display_name
    changes = db.session.scalar(select(func.count()).select_from(MemberStatusChange))
    assert changes == 2
    assert db.session.get(Member, m2.id).member_no  # the record stays, with its number
    # the year's snapshot: who was reviewed, with what result, although two have left
    snapshot = listed(client, upper, rid)
    assert [(m["member_id"], m["result"], m["reason"], m["status"]) for m in snapshot] == [
        (m1.id, "不通过", "退休", "退休"),
        (m2.id, "不通过", "退休", "退休"),
        (m3.id, "通过", None, "正常"),
        (m4.id, "通过", None, "正常"),
    ]
    assert db.session.scalar(select(func.count()).select_from(AnnualReviewResult)) == 4
    assert client.get(f"{REVIEWS}/{rid}", headers=op).get_json()["counts"]["members"] == 4
    # the active list of the union no longer holds them
    active = client.get(
        f"/api/admin/v1/members?status=正常&org_id={gA1.id}&page_size=100", headers=op
    ).get_json()
    assert {m["id"] for m in active} == {m3.id, m4.id}

    # once a year: a second review is refused, the approved one cannot change
    r = start(client, op)
    assert r.status_code == 409
    assert "每年只能进行一次年审" in r.get_json()["message"]
    assert client.put(f"{REVIEWS}/{rid}/unit", headers=op, json={}).status_code == 409
    assert client.post(f"{REVIEWS}/{rid}/approve", headers=upper).status_code == 409
    assert actions("review.") == [
        "review.start",
        "review.unit",
        "review.mark",
        "review.mark",
        "review.mark",
        "review.unmark",
        "review.upload",
        "review.submit",
        "review.reject",
        "review.unmark",
        "review.submit",
        "review.approve",
    ]
    status_audit = db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "member.status")
    )
    assert sorted(status_audit.target_ids) == sorted([m1.id, m2.id])


def test_a_review_belongs_to_the_shanghai_year(client, world, clock):
    op = login(client, "ga1_operator")
    upper = login(client, "da_reviewer")
    clock.set(datetime(2026, 12, 31, 15, 30, tzinfo=UTC))  # 23:30 on 31 Dec in Shanghai
    review = confirmed_review(client, op)
    assert review["year"] == 2026
    r = client.post(f"{REVIEWS}/{review['id']}/submit", headers=op)
    assert r.status_code == 200
    assert r.get_json()["submitted_at"].startswith("2026-12-31T15:30")
    assert client.post(f"{REVIEWS}/{review['id']}/approve", headers=upper).status_code == 200
    clock.set(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))  # 23:59: still 2026
    r = start(client, op)
    assert r.status_code == 409
    assert "2026年度的年审已完成" in r.get_json()["message"]
    clock.set(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # midnight in Shanghai: 2027
    r = start(client, op)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["year"] == 2027
    years = [x["year"] for x in client.get(REVIEWS, headers=op).get_json()]
    assert years == [2027, 2026]


def test_a_second_review_while_one_is_open_is_refused(client, world):
    op = login(client, "ga1_operator")
    first = start(client, op).get_json()
    r = start(client, op)
    assert r.status_code == 409
    assert "已发起（当前状态：进行中）" in r.get_json()["message"]
    assert client.get(REVIEWS, headers=op).get_json()[0]["id"] == first["id"]


def test_marks_stay_inside_the_union_and_its_active_members(client, world):
    admin = login(client, "da_admin")
    gA1 = world.org("gA1")
    review = start(client, admin, org_id=gA1.id).get_json()
    rid = review["id"]
    other = members_of(world, "gA2")[0]
    r = client.put(f"{REVIEWS}/{rid}/marks/{other.id}", headers=admin, json={"reason": "退休"})
    assert r.status_code == 422
    assert r.get_json()["message"] == "该会员不属于本次年审的工会"
    mine = members_of(world, "gA1")[0]
    client.post(
        f"/api/admin/v1/members/{mine.id}/status",
        headers=admin,
        json={"status": "退休", "reason": "退休"},
    )
    r = client.put(f"{REVIEWS}/{rid}/marks/{mine.id}", headers=admin, json={"reason": "退休"})
    assert r.status_code == 422 and "不在年审范围内" in r.get_json()["message"]
    r = client.put(f"{REVIEWS}/{rid}/marks/{mine.id}", headers=admin, json={"reason": "调走"})
    assert r.status_code == 422
    # not yet confirmed: no submit
    r = client.post(f"{REVIEWS}/{rid}/submit", headers=admin)
    assert r.status_code == 422 and r.get_json()["message"] == "请先完成第一步：确认单位信息"
    # the one who submitted cannot approve it as well
    client.put(f"{REVIEWS}/{rid}/unit", headers=admin, json={})
    assert client.post(f"{REVIEWS}/{rid}/submit", headers=admin).status_code == 200
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=admin)
    assert r.status_code == 403 and "自己提交" in r.get_json()["message"]


def test_a_mark_whose_member_left_meanwhile_is_dropped_at_submit(client, world):
    op = login(client, "ga1_operator")
    review = confirmed_review(client, op)
    rid = review["id"]
    m1, m2, *_ = members_of(world, "gA1")
    for m in (m1, m2):
        client.put(f"{REVIEWS}/{rid}/marks/{m.id}", headers=op, json={"reason": "离职"})
    client.post(
        f"/api/admin/v1/members/{m1.id}/status",
        headers=op,
        json={"status": "死亡", "reason": "病故"},
    )
    r = client.post(f"{REVIEWS}/{rid}/submit", headers=op)
    assert r.get_json()["counts"]["failed"] == 1
    assert db.session.scalars(select(AnnualReviewMark.member_id)).all() == [m2.id]
    r = client.post(f"{REVIEWS}/{rid}/approve", headers=login(client, "sa_reviewer"))
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(Member, m1.id).status == MemberStatus.DECEASED
    assert db.session.get(Member, m2.id).status == MemberStatus.LEFT


def test_who_may_start_and_who_may_decide(client, world):
    r = start(client, login(client, "sa_reviewer"))
    assert r.status_code == 403  # a reviewer does not do the unit's work
    r = start(client, login(client, "da_admin"))
    assert r.status_code == 422 and "基层工会" in r.get_json()["message"]
    op = login(client, "ga1_operator")
    review = confirmed_review(client, op)
    client.post(f"{REVIEWS}/{review['id']}/submit", headers=op)
    # siblings neither see nor decide: not found, as if it did not exist
    for sibling in ("db_reviewer", "gb1_admin", "ga2_admin", "ga2_operator"):
        headers = login(client, sibling)
        assert client.get(f"{REVIEWS}/{review['id']}", headers=headers).status_code == 404
        r = client.post(f"{REVIEWS}/{review['id']}/approve", headers=headers)
        assert r.status_code in (403, 404)  # 403 only where the role has no right at all
        assert client.get(REVIEWS, headers=headers).get_json() == []
    assert (
        client.post(
            f"{REVIEWS}/{review['id']}/approve", headers=login(client, "ga2_admin")
        ).status_code
        == 404
    )
    # any ancestor with the right may decide: here the city's reviewer
    r = client.post(f"{REVIEWS}/{review['id']}/approve", headers=login(client, "city_reviewer"))
    assert r.status_code == 200


def test_pending_units_and_reminders(client, world):
    upper = login(client, "da_reviewer")
    gA1, gA2 = world.org("gA1"), world.org("gA2")
    pending = client.get(f"{REVIEWS}/pending-units", headers=upper).get_json()
    assert [(p["org_id"], p["review_id"], p["year"]) for p in pending] == [
        (gA1.id, None, 2026),
        (gA2.id, None, 2026),
    ]
    op = login(client, "ga1_operator")
    review = confirmed_review(client, op)
    pending = client.get(f"{REVIEWS}/pending-units", headers=upper).get_json()
    assert pending[0]["review_status"] == "进行中"

    r = client.post(f"{REVIEWS}/reminders", headers=upper, json={"org_ids": [gA2.id, gA1.id]})
    assert r.status_code == 201, r.get_json()
    assert {x["org_id"] for x in r.get_json()} == {gA1.id, gA2.id}
    assert r.get_json()[0]["message"] == "请于2026年12月31日前完成2026年度工会会员年审。"
    assert r.get_json()[0]["sender_org_name"] == world.org("dA").name
    mine = client.get(f"{REVIEWS}/reminders", headers=login(client, "ga2_operator")).get_json()
    assert [x["org_id"] for x in mine] == [gA2.id]
    assert (
        client.get(f"{REVIEWS}/reminders", headers=login(client, "gb1_operator")).get_json() == []
    )
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "review.remind"))
    assert sorted(record.target_ids) == sorted([gA1.id, gA2.id])
    pending = client.get(f"{REVIEWS}/pending-units", headers=upper).get_json()
    assert all(p["last_reminded_at"] for p in pending)

    client.post(f"{REVIEWS}/{review['id']}/submit", headers=op)
    client.post(f"{REVIEWS}/{review['id']}/approve", headers=upper)
    pending = client.get(f"{REVIEWS}/pending-units", headers=upper).get_json()
    assert [p["org_id"] for p in pending] == [gA2.id]
    # an approved unit, the caller's own union or a union that is not grassroots: refused
    r = client.post(
        f"{REVIEWS}/reminders",
        headers=upper,
        json={"org_ids": [gA1.id, world.org("dA").id, world.org("sA").id]},
    )
    assert r.status_code == 422
    assert len(r.get_json()["errors"]["org_ids"]) == 3
    # out of scope: not found
    r = client.post(f"{REVIEWS}/reminders", headers=upper, json={"org_ids": [world.org("gB1").id]})
    assert r.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReviewReminder)) == 2
    # the past year's pending list is asked for by year
    old = client.get(f"{REVIEWS}/pending-units?year=2025", headers=upper).get_json()
    assert [p["org_id"] for p in old] == [gA1.id, gA2.id]
