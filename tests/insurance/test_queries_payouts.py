"""保障信息查询 and 给付信息: coverage by name / ID number (blind index) / unit / status,
masked and scoped; payouts recorded one by one and imported from xlsx (validated row by
row, all or nothing, a re-import a no-op, a payout needs coverage on its date)."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.insurance.b_helpers import (
    BATCHES,
    INSURANCE,
    login,
    png_bytes,
    sent_batch,
    upload,
)
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.insurance.models import Payout

COVERAGE = f"{INSURANCE}/coverage"
PAYOUTS = f"{INSURANCE}/payouts"


def _covered(client, iw, time_machine):
    """dA's 2027 batch (gA1: 4 card + 2 social, gA2: 3) sent, paid and confirmed."""
    batch, _subs = sent_batch(client, iw, time_machine, "gA1", "gA2")
    assert (
        upload(client, login(client, "da_reviewer"), batch["id"], png_bytes(), "a.png").status_code
        == 200
    )
    r = client.post(f"{BATCHES}/{batch['id']}/confirm", headers=login(client, "city_center"))
    assert r.status_code == 200
    return batch


def test_coverage_query(client, insurance_world, time_machine):
    iw = insurance_world
    _covered(client, iw, time_machine)
    member = iw.members["gA1"][0]
    h = login(client, "da_operator")
    r = client.get(COVERAGE, headers=h, query_string={"id_number": member.id_number})
    assert r.status_code == 200
    (row,) = r.get_json()
    assert row["name"] == member.name and row["status"] == "已完成"
    assert row["id_number"] != member.id_number and "********" in row["id_number"]
    assert row["batch_no"] == "BX2027-101-0001" and row["fee"] == "26.00"
    assert (row["start_date"], row["end_date"]) == ("2027-01-01", "2027-12-31")
    # by name (contains), by unit, by year and status, covered on a day
    r = client.get(COVERAGE, headers=h, query_string={"name": member.name[-3:]})
    assert member.id in {x["member_id"] for x in r.get_json()}
    r = client.get(COVERAGE, headers=h, query_string={"org_id": iw.org("gA2").id})
    assert len(r.get_json()) == 3
    r = client.get(COVERAGE, headers=h, query_string={"org_id": iw.org("sA").id})
    assert len(r.get_json()) == 6  # gA1 under sA
    r = client.get(COVERAGE, headers=h, query_string={"year": 2027, "status": "已完成"})
    assert len(r.get_json()) == 9
    r = client.get(COVERAGE, headers=h, query_string={"covered_on": "2028-01-01"})
    assert r.get_json() == []
    # a unit sees its own members only, another district nothing
    r = client.get(COVERAGE, headers=login(client, "ga2_operator"))
    assert {x["org_id"] for x in r.get_json()} == {iw.org("gA2").id}
    r = client.get(
        COVERAGE, headers=login(client, "db_operator"), query_string={"id_number": member.id_number}
    )
    assert r.get_json() == []


def test_record_a_payout(client, insurance_world, time_machine):
    iw = insurance_world
    _covered(client, iw, time_machine)
    member = iw.members["gA2"][0]
    hc = login(client, "city_center")
    body = {
        "reference": "GF2027-0001",
        "id_number": member.id_number,
        "item": "住院津贴",
        "amount": "1200.50",
        "paid_on": "2027-03-01",
        "remark": "三月",
    }
    r = client.post(PAYOUTS, headers=hc, json=body)
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert (out["amount"], out["year"], out["org_id"]) == ("1200.50", 2027, iw.org("gA2").id)
    assert out["id_number"] != member.id_number and out["enrolment_id"]
    # the same again: no second row
    r = client.post(PAYOUTS, headers=hc, json=body)
    assert r.status_code == 201 and r.get_json()["id"] == out["id"]
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 1
    # same reference, other amount: conflict
    r = client.post(PAYOUTS, headers=hc, json={**body, "amount": "99"})
    assert r.status_code == 409 and "GF2027-0001" in r.get_json()["message"]
    # no coverage on that day: refused, nothing written
    r = client.post(
        PAYOUTS, headers=hc, json={**body, "reference": "GF-2", "paid_on": "2026-06-01"}
    )
    assert r.status_code == 422 and "2026-06-01" in r.get_json()["message"]
    # bad amounts
    for amount in ("0", "-5", "1.234", "abc"):
        r = client.post(PAYOUTS, headers=hc, json={**body, "reference": "GF-3", "amount": amount})
        assert r.status_code == 422, amount
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 1
    # a district reads but cannot record
    assert client.post(PAYOUTS, headers=login(client, "da_admin"), json=body).status_code == 403
    r = client.get(PAYOUTS, headers=login(client, "da_operator"), query_string={"year": 2027})
    assert [p["reference"] for p in r.get_json()] == ["GF2027-0001"]
    r = client.get(f"{PAYOUTS}/{out['id']}", headers=login(client, "ga2_operator"))
    assert r.status_code == 200 and r.get_json()["item"] == "住院津贴"
    assert (
        client.get(f"{PAYOUTS}/{out['id']}", headers=login(client, "db_operator")).status_code
        == 404
    )
    r = client.get(PAYOUTS, headers=login(client, "ga1_operator"))
    assert r.get_json() == []


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["给付编号", "姓名", "证件号码", "给付项目", "给付金额", "给付日期", "备注"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _import(client, headers, data, name="给付.xlsx"):
    return client.post(
        f"{PAYOUTS}/import",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_payouts_all_or_nothing_and_idempotent(client, insurance_world, time_machine):
    iw = insurance_world
    _covered(client, iw, time_machine)
    a, b = iw.members["gA1"][0], iw.members["gA2"][1]
    hc = login(client, "city_center")
    r = client.get(f"{PAYOUTS}/template", headers=hc)
    header = next(load_workbook(io.BytesIO(r.data)).worksheets[0].iter_rows(values_only=True))
    assert header == ("给付编号", "姓名", "证件号码", "给付项目", "给付金额", "给付日期", "备注")

    bad = _xlsx(
        [
            ("GF-1", a.name, a.id_number, "门诊", 300, "2027-02-01", ""),
            ("GF-2", "张冒名", b.id_number, "住院", 500, "2027-02-02", ""),  # wrong name
            ("GF-1", a.name, a.id_number, "门诊", 300, "2027-02-01", ""),  # duplicate reference
            ("GF-4", b.name, b.id_number, "住院", "1.005", "2027/02/03", ""),  # 3 decimals
            ("GF-5", b.name, b.id_number, "住院", 10, "2026-02-03", ""),  # not covered then
            ("GF-6", b.name, "310110199001011234", "住院", 10, "昨天", ""),  # unknown, bad date
        ]
    )
    r = _import(client, hc, bad)
    assert r.status_code == 422
    body = r.get_json()
    assert "本次导入未做任何修改" in body["message"]
    where = {(e["row"], e["column"]) for e in body["errors"]["rows"]}
    assert {(3, "B"), (4, "A"), (5, "E"), (6, "F"), (7, "F")} <= where
    assert any(e["row"] == 7 and e["column"] in ("C", "F") for e in body["errors"]["rows"])
    assert all(e["message"] for e in body["errors"]["rows"])
    assert db.session.scalar(select(func.count()).select_from(Payout)) == 0

    good = _xlsx(
        [
            ("GF-1", a.name, a.id_number, "门诊", 300, "2027-02-01", "首笔"),
            ("GF-2", b.name, b.id_number, "住院", "1200.5", "2027/03/02", None),
        ]
    )
    r = _import(client, hc, good)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"rows": 2, "created": 2, "skipped": 0}
    r = _import(client, hc, good)  # again: a no-op
    assert r.get_json() == {"rows": 2, "created": 0, "skipped": 2}
    amounts = db.session.scalars(select(Payout.amount).order_by(Payout.reference)).all()
    assert [str(x) for x in amounts] == ["300.00", "1200.50"]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "insurance.payout_import")
        )
        == 2
    )
    # not an xlsx, and a district cannot import
    r = _import(client, hc, b"MZ\x90\x00", name="a.xlsx")
    assert r.status_code == 422 and r.get_json()["message"]
    assert _import(client, login(client, "da_admin"), good).status_code == 403
