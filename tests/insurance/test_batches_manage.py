"""参保批次管理: the list and its filters by scope, the detail with per-channel counts,
职保中心's confirmation, the statistics table (xlsx opened and checked), the live monitor."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from tests.insurance.b_helpers import (
    BATCHES,
    INSURANCE,
    REVIEW,
    enrolments_of,
    login,
    png_bytes,
    reload,
    sent_batch,
    submit_for,
    upload,
)
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.insurance.models import EnrolmentStatus, SubmissionStatus
from unioncard.orgs.models import OrgMessage
from unioncard.security.masking import mask_id_number


def _ids(r) -> list[str]:
    assert r.status_code == 200, r.get_json()
    return [row["batch_no"] for row in r.get_json()]


def test_list_filters_and_scope(client, insurance_world, time_machine):
    batch, _subs = sent_batch(client, insurance_world, time_machine)
    h = login(client, "da_reviewer")
    assert _ids(client.get(f"{BATCHES}", headers=h)) == ["BX2027-101-0001"]
    row = client.get(f"{BATCHES}", headers=h).get_json()[0]
    # the seed's columns: 批次编号 参保人数 提交时间 最后更新时间 状态 凭证上传时间
    for key in ("batch_no", "member_count", "submitted_at", "updated_at", "status"):
        assert row[key] is not None
    assert row["voucher_uploaded_at"] is None and row["handler_phone"] == "138****1234"
    q = lambda **p: _ids(client.get(f"{BATCHES}", headers=h, query_string=p))  # noqa: E731
    assert q(batch_no="101-00") == ["BX2027-101-0001"]
    assert q(batch_no="102") == []
    assert q(status="待缴费") == ["BX2027-101-0001"] and q(status="已完成") == []
    assert q(source="即时参保") == [] and q(year=2027) == ["BX2027-101-0001"]
    assert q(confirmed_from="2026-01-01") == []  # not confirmed yet
    # the other district sees nothing; 职保中心 (city) sees it; the unit not
    assert _ids(client.get(f"{BATCHES}", headers=login(client, "db_reviewer"))) == []
    assert _ids(client.get(f"{BATCHES}", headers=login(client, "city_center"))) == [
        "BX2027-101-0001"
    ]
    assert _ids(client.get(f"{BATCHES}", headers=login(client, "ga1_operator"))) == []
    r = client.get(f"{BATCHES}/{batch['id']}", headers=login(client, "db_reviewer"))
    assert r.status_code == 404


def test_detail_counts_per_channel(client, insurance_world, time_machine):
    batch, subs = sent_batch(client, insurance_world, time_machine, "gA1", "gA2")
    r = client.get(f"{BATCHES}/{batch['id']}", headers=login(client, "da_reviewer"))
    assert r.status_code == 200
    body = r.get_json()
    assert body["by_kind"] == {"会员卡参保": 7, "社保卡参保": 2}
    assert body["by_status"] == {"职保中心确认中": 9}
    assert sorted(s["id"] for s in body["submissions"]) == sorted(s.id for s in subs)
    assert {s["kind"] for s in body["submissions"]} == {"会员卡参保", "社保卡参保"}


def test_centre_confirms_only_a_paid_batch(client, insurance_world, time_machine):
    batch, subs = sent_batch(client, insurance_world, time_machine)
    hc = login(client, "city_center")
    url = f"{BATCHES}/{batch['id']}/confirm"
    # no voucher yet: 409 in Chinese
    r = client.post(url, headers=hc)
    assert r.status_code == 409 and "缴费凭证" in r.get_json()["message"]
    # the district cannot confirm its own batch (no insurance.confirm)
    assert client.post(url, headers=login(client, "da_admin")).status_code == 403
    assert client.post(url, headers=login(client, "db_center")).status_code == 404
    assert (
        upload(client, login(client, "da_reviewer"), batch["id"], png_bytes(), "a.png").status_code
        == 200
    )
    r = client.post(url, headers=hc)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "已完成" and r.get_json()["confirmed_at"]
    assert r.get_json()["confirmed_by_name"]
    for sub in subs:
        assert reload(sub).status == SubmissionStatus.COMPLETED
        assert {e.status for e in enrolments_of(sub.id)} == {EnrolmentStatus.COMPLETED}
        assert all(e.holding_member_id == e.member_id for e in enrolments_of(sub.id))
    # twice: conflict; a voucher after completion: conflict
    assert client.post(url, headers=hc).status_code == 409
    r = upload(client, login(client, "da_reviewer"), batch["id"], png_bytes(), "b.png")
    assert r.status_code == 409
    assert db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "insurance.confirm")
    ).target_ids == [batch["id"]]
    assert db.session.scalar(
        select(OrgMessage).where(OrgMessage.dedupe_key == f"ins-confirmed:{batch['id']}")
    )
    # the confirmed-time filter now finds it
    r = client.get(
        f"{BATCHES}", headers=hc, query_string={"confirmed_from": "2026-11-01", "status": "已完成"}
    )
    assert [b["id"] for b in r.get_json()] == [batch["id"]]


def test_statistics_xlsx(client, insurance_world, time_machine):
    iw = insurance_world
    batch, _subs = sent_batch(client, iw, time_machine, "gA1", "gA2")
    h = login(client, "da_reviewer")
    r = client.get(f"{BATCHES}/{batch['id']}/statistics", headers=h)
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "批次编号", "单位名称", "会员编号", "姓名", "证件类型", "证件号码", "参保类型", "保障类型",
        "起保日期", "终保日期", "半年/全年", "保障费用", "市总统一划拨", "区局/各级工会缴费",
        "基层单位缴费",
    )  # fmt: skip
    people = rows[1:-1]
    assert len(people) == 9
    members = {m.id_number: m for key in ("gA1", "gA2") for m in iw.members[key]}
    members |= {m.id_number: m for m in iw.uncarded["gA1"]}
    masked = {mask_id_number(n) for n in members}
    assert {p[5] for p in people} == masked
    assert not any(n in str(rows) for n in members)  # no full ID number anywhere
    assert {p[0] for p in people} == {"BX2027-101-0001"}
    assert {p[6] for p in people} == {"会员卡参保", "社保卡参保"}
    assert {(p[8], p[9], p[10]) for p in people} == {("2027-01-01", "2027-12-31", "全年")}
    assert {p[3] for p in people} == {m.name for m in members.values()}
    total = rows[-1]
    assert total[0] == "合计" and total[1] == "9人"
    assert [Decimal(str(v)) for v in total[11:]] == [
        Decimal("234"), Decimal("117"), Decimal("117"), Decimal("0")
    ]  # fmt: skip
    assert sum(Decimal(str(p[11])) for p in people) == Decimal("234")
    export = db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "insurance.statistics_export")
    )
    assert export.detail["rows"] == 9 and export.target_ids == [batch["id"]]


def test_monitor_counts_by_district_unit_and_status(client, insurance_world, time_machine):
    iw = insurance_world
    submit_for(iw, "gB1")  # dB: one pending submission of 2
    batch, _subs = sent_batch(client, iw, time_machine, "gA1")  # dA: 4 card + 2 social sent
    pending = submit_for(iw, "gA2")  # dA: 3 pending
    hc = login(client, "city_center")
    r = client.get(f"{INSURANCE}/monitor", headers=hc, query_string={"year": 2027})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    by_district = {d["org_name"]: d for d in body["by_district"]}
    a, b = by_district[iw.org("dA").name], by_district[iw.org("dB").name]
    assert (a["submissions"], a["members"]) == (3, 9)
    assert a["by_status"] == {"职保中心确认中": 6, "区局确认中": 3}
    assert (b["submissions"], b["members"], b["by_status"]) == (1, 2, {"区局确认中": 2})
    status = {s["status"]: s for s in body["by_status"]}
    assert status["区局确认中"]["members"] == 5 and status["职保中心确认中"]["members"] == 6
    units = {u["org_id"]: u for u in body["by_unit"]}
    assert units[iw.org("gA2").id]["members"] == 3
    assert body["batches"] == [{"status": "待缴费", "batches": 1, "members": 6}]
    # a district's monitor holds only its own subtree
    body = client.get(
        f"{INSURANCE}/monitor", headers=login(client, "db_reviewer"), query_string={"year": 2027}
    ).get_json()
    assert [d["org_name"] for d in body["by_district"]] == [iw.org("dB").name]
    assert body["batches"] == []
    assert pending.id and batch["id"]
    # the default year is next year (2027 from 2026)
    r = client.get(f"{INSURANCE}/monitor", headers=hc)
    assert r.get_json()["year"] == 2027


def test_accept_review_unit_cannot_reach_totals_of_others(client, insurance_world):
    """The totals of the 待提交 list belong to the district: dB sees zero of dA's."""
    iw = insurance_world
    a = submit_for(iw, "gA1")
    client.post(
        f"{REVIEW}/accept", headers=login(client, "da_reviewer"), json={"submission_ids": [a.id]}
    )
    r = client.get(f"{REVIEW}/accepted/totals", headers=login(client, "db_reviewer"))
    assert r.get_json()["member_count"] == 0 and r.get_json()["fee_total"] == "0.00"
