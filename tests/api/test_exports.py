"""导出: the filtered lists as xlsx — opened with openpyxl: headers, masked numbers, row
count, the cap, the scope, and the audit entry with the filter and the count."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.world import build_world, login
from unioncard.audit.models import AuditRecord
from unioncard.cards.models import CardStatus, MemberCard
from unioncard.extensions import db
from unioncard.members.models import Member, MemberSource
from unioncard.security.crypto import blind_index

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEMBER_HEADERS = [
    "会员编号",
    "姓名",
    "性别",
    "证件类型",
    "证件号码",
    "手机号码",
    "所属工会",
    "工作单位地址",
    "会员来源",
    "入会日期",
    "状态",
]


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=4)


@pytest.fixture()
def district(client, world):
    return login(client, "da_operator")


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    assert len(wb.sheetnames) == 1
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def members_in(*orgs) -> list[Member]:
    ids = [o.id for o in orgs]
    return list(db.session.scalars(select(Member).where(Member.org_id.in_(ids))))


def export_records(list_name: str) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == f"export.{list_name}")
    return list(db.session.scalars(stmt))


def test_member_export_has_the_list_columns_masked_numbers_and_an_audit_entry(
    client, world, district
):
    rows = sheet(client.post("/api/admin/v1/members/export", headers=district, json={}))
    assert rows[0] == MEMBER_HEADERS
    mine = members_in(world.org("gA1"), world.org("gA2"))
    assert len(rows) - 1 == len(mine) == 8  # the district's two unions, not 乙区's
    by_name = {r[1]: r for r in rows[1:]}
    for member in mine:
        row = by_name[member.name]
        number, mobile = row[4], row[5]
        assert number == member.id_number[:4] + "********" + member.id_number[-4:]
        assert mobile == member.mobile[:3] + "****" + member.mobile[-4:]
    cells = " ".join(str(c) for r in rows for c in r)
    for member in members_in(world.org("gA1"), world.org("gA2"), world.org("gB1")):
        assert member.id_number not in cells and member.mobile not in cells
    assert not any(m.name in cells for m in members_in(world.org("gB1")))
    [entry] = export_records("members")
    assert entry.detail["list"] == "会员信息" and entry.detail["rows"] == 8
    assert entry.actor_name == world.accounts["da_operator"].display_name


def test_export_takes_the_list_filters_personal_numbers_only_in_the_body(client, world, district):
    target = members_in(world.org("gA2"))[1]
    body = {"id_number": target.id_number, "org_id": world.org("gA2").id}
    rows = sheet(client.post("/api/admin/v1/members/export", headers=district, json=body))
    assert [r[1] for r in rows[1:]] == [target.name]
    [entry] = export_records("members")
    assert entry.detail["rows"] == 1
    recorded = entry.detail["filters"]["id_number"]
    assert recorded != target.id_number and re.fullmatch(r"\w{4}\*+\w{4}", recorded)
    assert entry.detail["filters"]["org_id"] == world.org("gA2").id
    # the same filter the list answers: one row
    listed = client.post("/api/admin/v1/members/search", headers=district, json=body)
    assert listed.headers["X-Pagination"] and len(listed.get_json()) == 1


def test_above_the_cap_a_clear_chinese_refusal_and_nothing_recorded(
    app, client, world, district, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 5)
    r = client.post("/api/admin/v1/members/export", headers=district, json={})
    assert r.status_code == 422
    assert r.get_json()["message"].startswith("符合条件的记录共 8 条，超过单次导出上限 5 条")
    assert "缩小范围" in r.get_json()["message"]
    assert export_records("members") == []
    ok = client.post(
        "/api/admin/v1/members/export", headers=district, json={"org_id": world.org("gA1").id}
    )
    assert len(sheet(ok)) - 1 == 4


def test_bad_filter_is_a_field_error_not_a_file(client, district):
    r = client.post("/api/admin/v1/members/export", headers=district, json={"status": "在职吗"})
    assert r.status_code == 422
    assert "status" in r.get_json()["errors"]["json"]


def test_a_paging_cursor_is_not_an_export_filter(client, district):
    # the lists page by cursor; an export takes every matching row, so a cursor is refused
    r = client.post("/api/admin/v1/audit/export", headers=district, json={"cursor": "abc"})
    assert r.status_code == 422, r.get_data(as_text=True)
    assert "cursor" in r.get_json()["errors"]["json"]


def test_card_export_masks_the_bank_card_number(client, world, district):
    member = members_in(world.org("gA1"))[0]
    member.source = MemberSource.ENTERPRISE
    card_no = "6231000012340624"
    db.session.add(
        MemberCard(
            member_id=member.id,
            org_id=member.org_id,
            status=CardStatus.ISSUED,
            card_no=card_no,
            card_no_bidx=blind_index("card_no", card_no),
        )
    )
    db.session.commit()
    body = {"org_id": world.org("gA1").id}
    rows = sheet(client.post("/api/admin/v1/cards/export", headers=district, json=body))
    assert rows[0] == [
        "会员编号",
        "姓名",
        "证件类型",
        "证件号码",
        "银行卡号",
        "申办时间",
        "申请通道",
        "状态",
        "失败原因",
    ]
    listed = client.get("/api/admin/v1/cards", headers=district, query_string=body)
    assert len(rows) - 1 == len(listed.get_json())
    [issued] = [r for r in rows[1:] if r[1] == member.name]
    assert issued[4] == "6231********0624" and issued[7] == "已办卡"
    assert card_no not in " ".join(str(c) for r in rows for c in r)
    assert export_records("cards")[0].detail["rows"] == len(rows) - 1


def test_batch_export_headers_follow_seed_000(client, district):
    rows = sheet(client.post("/api/admin/v1/cards/batches/export", headers=district, json={}))
    assert rows[0][:6] == [
        "批次编号",
        "办理总人数",
        "办理成功人数",
        "提交时间",
        "银行反馈时间",
        "办理通道",
    ]
    assert "网点地址" in rows[0] and "批次撤销情况" in rows[0]
    assert export_records("card_batches")[0].detail == {
        "list": "办卡批次",
        "filters": {},
        "rows": len(rows) - 1,
    }


def test_audit_export_lists_the_reveal_with_local_times(client, world, district):
    target = members_in(world.org("gA1"))[0]
    client.post(
        f"/api/admin/v1/members/{target.id}/reveal",
        headers=district,
        json={"fields": ["id_number"], "reason": "核对身份"},
    )
    r = client.post(
        "/api/admin/v1/audit/export", headers=district, json={"action": "member.reveal"}
    )
    rows = sheet(r)
    assert rows[0][:3] == ["操作时间", "操作人", "操作"]
    assert len(rows) == 2 and rows[1][2] == "member.reveal"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", rows[1][0])
    assert target.id_number not in " ".join(str(c) for c in rows[1])
    assert export_records("audit")[0].detail["filters"] == {"action": "member.reveal"}


def test_a_grassroots_clerk_exports_only_their_union(client, world):
    headers = login(client, "gb1_operator")
    rows = sheet(client.post("/api/admin/v1/members/export", headers=headers, json={}))
    assert sorted(r[1] for r in rows[1:]) == sorted(m.name for m in members_in(world.org("gB1")))


def test_export_needs_a_login(client, world):
    assert client.post("/api/admin/v1/members/export", json={}).status_code == 401


def test_ticked_rows_only_when_ids_are_given_and_never_outside_the_scope(client, world, district):
    two = members_in(world.org("gA1"))[:2]
    outside = members_in(world.org("gB1"))[0]
    body = {"ids": [two[0].id, two[1].id, outside.id]}
    rows = sheet(client.post("/api/admin/v1/members/export", headers=district, json=body))
    assert sorted(r[1] for r in rows[1:]) == sorted(m.name for m in two)
    [entry] = export_records("members")
    assert entry.detail["rows"] == 2 and entry.detail["filters"] == {"ids": 3}


def test_text_typed_like_a_formula_is_exported_as_text(client, world, district):
    member = members_in(world.org("gA1"))[0]
    member.work_address = '=HYPERLINK("http://example.invalid","点我")'
    db.session.commit()
    r = client.post("/api/admin/v1/members/export", headers=district, json={"ids": [member.id]})
    assert r.status_code == 200
    cell = load_workbook(io.BytesIO(r.data)).active["H2"]
    assert cell.value == member.work_address and cell.data_type == "s"
