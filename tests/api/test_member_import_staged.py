"""确认导入 writes the rows the preview validated and kept (it does not read the file
again), stores exactly what a one-pass import stores, and when something the preview
depended on has changed (the date, the union's name, someone registered meanwhile) it
checks again and says so in Chinese, writing nothing."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select, text

from tests.api import test_member_import as base
from tests.api.test_member_import import IMPORTS, fill, people, upload
from tests.clock import freeze_today
from unioncard.extensions import db
from unioncard.imports import messages as msg
from unioncard.imports import pipeline
from unioncard.imports.models import ImportIssue, ImportJob
from unioncard.members.models import Member
from unioncard.security.crypto import keyring
from unioncard.storage.models import StoredFile

PREVIEW_DAY = date(2027, 3, 10)
setup = base.setup  # the same world, operator and template


def stored_members(job_id: int) -> list[tuple]:
    """Every stored column but the ones that differ between two imports of the same people
    (ids, numbers, job, times); ID numbers and mobiles decrypted (their nonces differ)."""
    columns = [
        c.name
        for c in Member.__table__.columns
        if c.name
        not in {"id", "member_no", "import_job_id", "created_at", "updated_at", "status_changed_at"}
    ]
    found = db.session.execute(
        text(f"SELECT {', '.join(columns)} FROM member WHERE import_job_id = :j ORDER BY name, id"),
        {"j": job_id},
    ).mappings()
    ring = keyring()
    rows = []
    for row in found:
        row = dict(row)
        assert row["id_number"].startswith(ring.active_key_id + ":")
        row["id_number"] = ring.decrypt("id_number", row["id_number"])
        row["mobile"] = ring.decrypt("mobile", row["mobile"])
        rows.append(tuple(sorted(row.items())))
    return sorted(rows)


def rows_with_quirks() -> list[dict]:
    rows = people(5, start=300)
    rows[0]["remark"] = "备注\t有制表符\\和反斜杠"
    rows[1]["wants_card"] = "否"
    rows[1]["work_address"] = ""
    rows[3]["id_type"] = "护照"
    rows[3]["id_number"] = "e12345678"
    rows[3]["country"] = "新加坡"
    rows[3]["gender"] = "女"
    rows[3]["birth_date"] = date(1990, 5, 6)
    rows[4]["id_expiry"] = date(2040, 1, 1)
    return rows


def test_confirm_writes_the_kept_rows_without_reading_the_file(client, setup, monkeypatch):
    _world, headers, template = setup
    data = fill(template, rows_with_quirks())
    job = upload(client, headers, data).get_json()
    job = client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()
    assert job["status"] == "待确认导入", job
    staged_id = db.session.get(ImportJob, job["id"]).staged_file_id
    staged = db.session.get(StoredFile, staged_id)
    assert staged.purpose == "member_import_rows"
    # kept encrypted as a whole, and the ID numbers inside encrypted too
    for person in rows_with_quirks():
        assert person["id_number"].encode() not in staged.content
        assert person["mobile"].encode() not in staged.content

    def no_second_reading(*args, **kwargs):
        raise AssertionError("确认导入 read the file again")

    monkeypatch.setattr(pipeline, "validate_import", no_second_reading)
    r = client.post(f"{IMPORTS}/{job['id']}/commit", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "已导入" and r.get_json()["imported"] == 5
    previewed = stored_members(job["id"])
    assert len(previewed) == 5
    # the kept rows are forgotten once imported
    assert db.session.get(ImportJob, job["id"]).staged_file_id is None
    assert db.session.get(StoredFile, staged_id) is None
    monkeypatch.undo()

    # the same file in one pass (the previewed members removed first) stores the same
    db.session.execute(text("DELETE FROM member WHERE import_job_id = :j"), {"j": job["id"]})
    db.session.commit()
    r = client.post(
        IMPORTS,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "m.xlsx"), "auto_commit": "true"},
    )
    one_pass = client.get(f"{IMPORTS}/{r.get_json()['id']}", headers=headers).get_json()
    assert one_pass["status"] == "已导入", one_pass
    assert stored_members(one_pass["id"]) == previewed


def test_a_day_later_the_file_is_checked_again_and_an_expired_id_is_named(
    client, setup, time_machine
):
    _world, headers, template = setup
    freeze_today(time_machine, PREVIEW_DAY)
    rows = people(3, start=340)
    rows[1]["id_expiry"] = PREVIEW_DAY  # valid on the day of the preview, expired the next
    job = upload(client, headers, fill(template, rows)).get_json()
    assert (
        client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()["status"] == "待确认导入"
    )
    freeze_today(time_machine, date(2027, 3, 11))
    r = client.post(f"{IMPORTS}/{job['id']}/commit", headers=headers)
    assert r.status_code == 409
    assert (
        "已不是校验当天" in r.get_json()["message"] and "未写入任何会员" in r.get_json()["message"]
    )
    after = client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()
    assert after["status"] == "校验未通过" and after["invalid"] == 1
    issues = client.get(f"{IMPORTS}/{job['id']}/issues", headers=headers).get_json()
    assert [(i["row"], i["column"]) for i in issues] == [(6, "E")]
    assert issues[0]["message"] == msg.EXPIRED
    count = select(func.count()).select_from(Member).where(Member.import_job_id == job["id"])
    assert db.session.scalar(count) == 0


def test_a_renamed_union_is_checked_again(client, setup):
    world, headers, template = setup
    job = upload(client, headers, fill(template, people(2, start=360))).get_json()
    union = world.org("gA1")
    union.name = union.name + "（更名）"
    db.session.commit()
    r = client.post(f"{IMPORTS}/{job['id']}/commit", headers=headers)
    assert r.status_code == 409 and "工会名称" in r.get_json()["message"]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ImportIssue)
            .where(ImportIssue.job_id == job["id"], ImportIssue.row == 3)
        )
        >= 1
    )
    count = select(func.count()).select_from(Member).where(Member.import_job_id == job["id"])
    assert db.session.scalar(count) == 0


def test_someone_registered_meanwhile_is_refused_by_the_registry(client, setup):
    _world, headers, template = setup
    rows = people(3, start=380)
    first = upload(client, headers, fill(template, rows)).get_json()["id"]
    second = upload(client, headers, fill(template, rows[2:])).get_json()["id"]
    assert db.session.get(ImportJob, second).staged_file_id is not None
    assert client.post(f"{IMPORTS}/{second}/commit", headers=headers).status_code == 200
    r = client.post(f"{IMPORTS}/{first}/commit", headers=headers)
    assert r.status_code == 409 and "部分会员已登记" in r.get_json()["message"]
    issues = client.get(f"{IMPORTS}/{first}/issues", headers=headers).get_json()
    assert {(i["row"], i["column"]) for i in issues} == {(7, "D")}
    assert db.session.get(ImportJob, first).staged_file_id is None


def test_a_cancelled_job_forgets_its_rows(client, setup):
    _world, headers, template = setup
    job = upload(client, headers, fill(template, people(2, start=400))).get_json()
    staged_id = db.session.get(ImportJob, job["id"]).staged_file_id
    assert staged_id is not None
    r = client.post(f"{IMPORTS}/{job['id']}/cancel", headers=headers)
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(StoredFile, staged_id) is None


def test_an_invalid_file_keeps_no_rows(client, setup):
    _world, headers, template = setup
    rows = people(3, start=420)
    rows[2]["mobile"] = "12"
    job = upload(client, headers, fill(template, rows)).get_json()
    assert (
        client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()["status"] == "校验未通过"
    )
    assert db.session.get(ImportJob, job["id"]).staged_file_id is None
    kept = (
        select(func.count())
        .select_from(StoredFile)
        .where(StoredFile.purpose == "member_import_rows")
    )
    assert db.session.scalar(kept) == 0


def test_altered_kept_rows_are_not_trusted_the_file_is_checked_again(client, setup, monkeypatch):
    _world, headers, template = setup
    job = upload(client, headers, fill(template, people(3, start=440))).get_json()
    staged = db.session.get(StoredFile, db.session.get(ImportJob, job["id"]).staged_file_id)
    blob = bytearray(staged.content)
    blob[-1] ^= 1
    staged.content = bytes(blob)
    db.session.commit()
    checked_again = []
    validate_import = pipeline.validate_import

    def counting(*args, **kwargs):
        checked_again.append(1)
        return validate_import(*args, **kwargs)

    monkeypatch.setattr(pipeline, "validate_import", counting)
    r = client.post(f"{IMPORTS}/{job['id']}/commit", headers=headers)
    assert r.status_code == 200 and r.get_json()["imported"] == 3, r.get_json()
    assert checked_again == [1]
