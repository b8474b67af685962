"""缴费凭证: checked by content (a renamed .exe refused, real PNG/JPEG/PDF accepted, a broken
picture and an oversize file refused), stored immutably and read back, re-upload keeping
the old file, downloads audited; who may upload."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.insurance.b_helpers import (
    BATCHES,
    freeze_today,
    jpeg_bytes,
    login,
    pdf_bytes,
    png_bytes,
    sent_batch,
    upload,
)
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.insurance.models import InsuranceBatch, InsuranceBatchStatus
from unioncard.insurance.vouchers import PURPOSE
from unioncard.storage.models import StoredFile
from unioncard.storage.services import read_file

EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 200
    + b"This program cannot be run in DOS mode."
)


@pytest.fixture(autouse=True)
def new_year_2027(app, monkeypatch):
    """chinese-calendar 1.11 has no 2027 schedule yet: 元旦 2027-01-01 (a Friday) is entered
    as the operators would, in EXTRA_HOLIDAYS."""
    monkeypatch.setitem(app.config, "EXTRA_HOLIDAYS", ("2027-01-01",))


def _vouchers() -> int:
    return db.session.scalar(
        select(func.count()).select_from(StoredFile).where(StoredFile.purpose == PURPOSE)
    )


def _audits(action: str) -> list[AuditRecord]:
    return list(db.session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def _batch(batch_id) -> InsuranceBatch:
    db.session.expire_all()
    return db.session.get(InsuranceBatch, batch_id)


@pytest.mark.parametrize(
    ("data", "name", "hint"),
    [
        (EXE, "转账回单.pdf", "JPG/PNG"),  # an executable renamed .pdf
        (b"%PDF-1.7\n garbage that is not a pdf", "回单.pdf", "无法打开"),  # PDF magic only
        (png_bytes()[:40], "回单.png", "无法打开"),  # a truncated PNG
        (b"GIF89a" + b"\x00" * 50, "回单.gif", "JPG/PNG"),
        (b"", "空.png", "空"),
    ],
)
def test_what_is_not_a_voucher_is_refused(client, insurance_world, time_machine, data, name, hint):
    batch, _subs = sent_batch(client, insurance_world, time_machine)
    h = login(client, "da_reviewer")
    r = upload(client, h, batch["id"], data, name)
    assert r.status_code == 422, r.get_json()
    assert hint in r.get_json()["message"]
    assert _batch(batch["id"]).status == InsuranceBatchStatus.AWAITING_PAYMENT
    assert _vouchers() == 0 and _audits("insurance.voucher_upload") == []


def test_oversize_is_refused(client, insurance_world, monkeypatch, time_machine, app):
    batch, _subs = sent_batch(client, insurance_world, time_machine)
    data = png_bytes((300, 300))
    monkeypatch.setitem(app.config, "INSURANCE_VOUCHER_MAX_BYTES", len(data) - 1)
    r = upload(client, login(client, "da_reviewer"), batch["id"], data, "回单.png")
    assert r.status_code == 422 and "MB" in r.get_json()["message"]
    assert _vouchers() == 0
    monkeypatch.setitem(app.config, "INSURANCE_VOUCHER_MAX_BYTES", len(data))
    r = upload(client, login(client, "da_reviewer"), batch["id"], data, "回单.png")
    assert r.status_code == 200


def test_png_then_pdf_reupload_keeps_both_and_downloads_are_audited(
    client, insurance_world, time_machine
):
    batch, _subs = sent_batch(client, insurance_world, time_machine)
    h = login(client, "da_reviewer")
    png = png_bytes()
    r = upload(client, h, batch["id"], png, "IMG_0001.png", filename="12月缴费回单")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "已上传凭证" and body["has_voucher"] is True
    assert body["voucher_uploaded_at"] and body["voucher_uploaded_by_name"]
    first = _batch(batch["id"]).voucher_file_id
    record, data = read_file(first)
    assert data == png and record.content_type == "image/png"
    assert record.filename == "12月缴费回单.png"

    pdf = pdf_bytes()
    r = upload(client, h, batch["id"], pdf, "bank.pdf")
    assert r.status_code == 200, r.get_json()
    second = _batch(batch["id"]).voucher_file_id
    assert second != first
    assert read_file(first)[1] == png  # the old file is kept, unchanged
    assert read_file(second)[1] == pdf
    uploads = _audits("insurance.voucher_upload")
    assert [a.detail["file_id"] for a in uploads] == [first, second]
    assert uploads[1].detail["replaces_file_id"] == first

    # 职保中心 downloads the current voucher: the same bytes, audited
    hc = login(client, "city_center")
    r = client.get(f"{BATCHES}/{batch['id']}/voucher", headers=hc)
    assert r.status_code == 200 and r.data == pdf
    assert r.mimetype == "application/pdf"
    assert [a.detail["file_id"] for a in _audits("insurance.voucher_download")] == [second]
    # a JPEG is a voucher too
    r = upload(client, h, batch["id"], jpeg_bytes(), "photo.jpeg")
    assert r.status_code == 200
    assert read_file(_batch(batch["id"]).voucher_file_id)[0].content_type == "image/jpeg"


def test_who_may_upload_and_when(client, insurance_world, time_machine):
    batch, _subs = sent_batch(client, insurance_world, time_machine)
    png = png_bytes()
    # the other district cannot reach the batch; the unit cannot upload; the centre neither
    assert (
        upload(client, login(client, "db_reviewer"), batch["id"], png, "a.png").status_code == 404
    )
    assert upload(client, login(client, "ga1_admin"), batch["id"], png, "a.png").status_code == 404
    assert (
        upload(client, login(client, "city_center"), batch["id"], png, "a.png").status_code == 403
    )
    # no voucher yet: download says so
    r = client.get(f"{BATCHES}/{batch['id']}/voucher", headers=login(client, "da_reviewer"))
    assert r.status_code == 409 and "凭证" in r.get_json()["message"]
    # sent on 2026-12-28: payable until 5 working days later, 2027-01-05 (元旦 not counted);
    # the day after that the batch can no longer be paid
    assert batch["payment_deadline"] == "2027-01-05"
    freeze_today(time_machine, date(2027, 1, 6))
    r = upload(client, login(client, "da_reviewer"), batch["id"], png, "a.png")
    assert r.status_code == 409 and "2027-01-05" in r.get_json()["message"]
    assert _vouchers() == 0
    assert _batch(batch["id"]).status == InsuranceBatchStatus.AWAITING_PAYMENT
    # on the deadline day itself (after the district window closed) it still can
    freeze_today(time_machine, date(2027, 1, 5))
    r = upload(client, login(client, "da_reviewer"), batch["id"], png, "a.png")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "已上传凭证"
    assert _vouchers() == 1
    # a re-upload after the deadline is refused as well, the first voucher stays
    first = _batch(batch["id"]).voucher_file_id
    freeze_today(time_machine, date(2027, 1, 6))
    r = upload(client, login(client, "da_reviewer"), batch["id"], png_bytes((50, 50)), "b.png")
    assert r.status_code == 409 and "2027-01-05" in r.get_json()["message"]
    assert _batch(batch["id"]).voucher_file_id == first and _vouchers() == 1
