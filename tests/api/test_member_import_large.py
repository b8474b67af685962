"""Member import of files larger than one block of member numbers (5,000 rows), on whichever
database the suite runs (SQLite by default: the embedded `make run` setup, one writer at a
time); failed attempts burn no numbers; stuck and failed jobs can be cancelled and are not
run again behind the clerk's back."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import python_calamine
from sqlalchemy import func, select, text

from bench.make_import_file import make_import_file
from tests.world import build_world, login
from unioncard.extensions import db
from unioncard.imports.models import ImportJob, ImportStatus
from unioncard.imports.tasks import resume_stalled
from unioncard.members.models import Member
from unioncard.models_base import utcnow
from unioncard.orgs.models import MemberNumberSequence
from unioncard.security.crypto import keyring

IMPORTS = "/api/admin/v1/imports"
ROWS = 5_200  # one full block of numbers (the commit's chunk) and part of another


@pytest.fixture()
def big(client, ctx):
    world = build_world(members_per_union=2)
    headers = login(client, "ga1_operator")
    data = make_import_file(ROWS, seed=7, union_name=world.org("gA1").name, branch_code="B0005")
    return world, headers, data


def post(client, headers, data: bytes, *, auto_commit=False):
    form = {"file": (io.BytesIO(data), "大文件.xlsx")}
    if auto_commit:
        form["auto_commit"] = "true"
    r = client.post(IMPORTS, headers=headers, content_type="multipart/form-data", data=form)
    assert r.status_code == 202, r.get_json()
    return client.get(f"{IMPORTS}/{r.get_json()['id']}", headers=headers).get_json()


def next_number() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(MemberNumberSequence.next_value).where(MemberNumberSequence.district_code == "101")
    )


def imported_numbers(job_id: int) -> list[int]:
    found = db.session.scalars(select(Member.member_no).where(Member.import_job_id == job_id))
    return sorted(int(n[3:]) for n in found)


def test_a_large_file_goes_through_preview_and_commit(client, big):
    _world, headers, data = big
    job = post(client, headers, data)
    assert job["status"] == "待确认导入", job
    assert job["processed"] == job["total"] == ROWS
    before = next_number()
    r = client.post(f"{IMPORTS}/{job['id']}/commit", headers=headers)
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["status"] == "已导入" and done["imported"] == ROWS
    assert done["processed"] == ROWS  # the commit's progress reached the end
    numbers = imported_numbers(job["id"])
    assert numbers == list(range(before, before + ROWS))  # unique, consecutive, none skipped
    assert next_number() == before + ROWS


def test_a_failed_one_pass_import_burns_no_numbers_and_a_good_one_imports(client, big):
    _world, headers, data = big
    first = post(client, headers, data)
    client.post(f"{IMPORTS}/{first['id']}/commit", headers=headers)
    after_first = next_number()
    # the same file again, in one pass: every row is already registered → nothing written
    again = post(client, headers, data, auto_commit=True)
    assert again["status"] == "校验未通过", again
    assert again["invalid"] == ROWS
    assert next_number() == after_first  # the failed attempt gave its numbers back
    assert (
        db.session.scalar(
            select(func.count()).select_from(Member).where(Member.import_job_id == again["id"])
        )
        == 0
    )
    # the first import undone by hand; the one-pass import now writes all, numbering on
    db.session.execute(text("DELETE FROM member WHERE import_job_id = :j"), {"j": first["id"]})
    db.session.commit()
    job = post(client, headers, data, auto_commit=True)
    assert job["status"] == "已导入" and job["imported"] == ROWS, job
    assert imported_numbers(job["id"]) == list(range(after_first, after_first + ROWS))


def test_a_clash_only_the_registry_catches_while_streaming_writes_nothing(client, big):
    """One pass asks the registry nothing (its unique indexes are the check). Someone holds
    the ID number of the file's last row only: on PostgreSQL the rows before it were already
    on their way to the server (the COPY is fed from a thread of its own), on SQLite waiting
    in the connection's temp table. Either way the import fails whole: nothing written, no
    number burnt, that row named; and the same file then goes in whole (nothing was left
    waiting from the failed attempt)."""
    _world, headers, data = big
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    cells = sheet.to_python()
    last_row = len(cells)  # the sheet starts at A1: the last data row's number
    id_number = str(cells[-1][3]).strip()
    someone = db.session.scalars(select(Member).order_by(Member.id)).first()
    own_bidx = someone.id_number_bidx
    someone.id_number_bidx = keyring().blind_index("id_number", id_number)
    db.session.commit()
    before = next_number()
    job = post(client, headers, data, auto_commit=True)
    assert job["status"] == "校验未通过" and job["invalid"] == 1, job
    assert next_number() == before
    written = select(func.count()).select_from(Member).where(Member.import_job_id == job["id"])
    assert db.session.scalar(written) == 0
    issues = client.get(f"{IMPORTS}/{job['id']}/issues", headers=headers).get_json()
    assert [(i["row"], i["column"]) for i in issues] == [(last_row, "D")]
    someone.id_number_bidx = own_bidx
    db.session.commit()
    job = post(client, headers, data, auto_commit=True)
    assert job["status"] == "已导入" and job["imported"] == ROWS, job
    assert imported_numbers(job["id"]) == list(range(before, before + ROWS))
    if db.engine.dialect.name == "sqlite":  # each value stored with its own type there
        assert_stored_as_the_orm_stores(someone.id, job["id"])


def assert_stored_as_the_orm_stores(member_id: int, job_id: int) -> None:
    """SQLite: an imported member's values (through the temp table and INSERT … SELECT, the
    constants bound once) have the types of a member the ORM wrote."""
    columns = [c.name for c in Member.__table__.columns]
    kinds = ", ".join(f"typeof({c})" for c in columns)
    by_orm = db.session.execute(text(f"SELECT {kinds} FROM member WHERE id = :i"), {"i": member_id})
    imported = db.session.execute(
        text(f"SELECT {kinds} FROM member WHERE import_job_id = :j ORDER BY id LIMIT 1"),
        {"j": job_id},
    )
    for column, orm_kind, kind in zip(columns, by_orm.one(), imported.one(), strict=True):
        assert kind == orm_kind or "null" in (kind, orm_kind), (column, kind, orm_kind)


def test_a_commit_refused_by_the_registry_burns_no_numbers(client, big):
    _world, headers, data = big
    first = post(client, headers, data)
    second = post(client, headers, data)
    assert client.post(f"{IMPORTS}/{first['id']}/commit", headers=headers).status_code == 200
    after_first = next_number()
    r = client.post(f"{IMPORTS}/{second['id']}/commit", headers=headers)
    assert r.status_code == 409 and "发生了变化" in r.get_json()["message"]
    assert next_number() == after_first
    job = client.get(f"{IMPORTS}/{second['id']}", headers=headers).get_json()
    assert job["status"] == "校验未通过" and job["invalid"] == ROWS


def test_stuck_jobs_are_given_up_not_rerun_and_the_clerk_can_cancel(client, big, app):
    _world, headers, data = big
    app.config["TASK_MODE"] = "off"  # nothing runs by itself
    try:
        queued = post(client, headers, data)
        running = post(client, headers, data, auto_commit=True)
        committing = post(client, headers, data)
    finally:
        app.config["TASK_MODE"] = "eager"
    # a one-pass import whose worker died, a 确认导入 that was interrupted
    db.session.execute(
        ImportJob.__table__.update()
        .where(ImportJob.id == running["id"])
        .values(status=ImportStatus.VALIDATING)
    )
    db.session.execute(
        ImportJob.__table__.update()
        .where(ImportJob.id == committing["id"])
        .values(status=ImportStatus.COMMITTING)
    )
    db.session.commit()
    # the clerk can cancel a job that is still 校验中
    r = client.post(f"{IMPORTS}/{running['id']}/cancel", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "已取消"
    db.session.execute(
        ImportJob.__table__.update()
        .where(ImportJob.id == running["id"])
        .values(status=ImportStatus.VALIDATING)
    )
    db.session.execute(
        ImportJob.__table__.update().values(updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    before = next_number()
    # the sweep dispatches only the job that never started; the others are not run again
    assert resume_stalled() == 1
    db.session.expire_all()
    status = {j.id: j for j in db.session.scalars(select(ImportJob))}
    assert status[queued["id"]].status == ImportStatus.READY
    assert status[running["id"]].status == ImportStatus.FAILED
    assert "取消" in status[running["id"]].message
    assert status[committing["id"]].status == ImportStatus.READY
    assert "重新确认导入" in status[committing["id"]].message
    assert next_number() == before
    assert resume_stalled() == 0  # nothing left to do
    # a failed job can be cancelled; the interrupted one can be confirmed again
    r = client.post(f"{IMPORTS}/{running['id']}/cancel", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "已取消"
    r = client.post(f"{IMPORTS}/{committing['id']}/commit", headers=headers)
    assert r.status_code == 200 and r.get_json()["imported"] == ROWS
    # an imported job cannot be cancelled
    r = client.post(f"{IMPORTS}/{committing['id']}/cancel", headers=headers)
    assert r.status_code == 409 and "已导入" in r.get_json()["message"]


def test_a_commit_cancelled_while_it_runs_writes_nothing(client, big, app, monkeypatch):
    """The clerk cancels (from another request) once the first block is written; the
    commit stops at its next progress report, keeps nothing and burns no numbers."""
    from unioncard.imports import services

    _world, headers, data = big
    job = post(client, headers, data)
    report_progress = services._reporter
    seen = []

    def clerk_cancels_midway(job_id, status):
        report = report_progress(job_id, status)

        def progress(rows):
            if rows >= 5000 and not seen:
                with app.app_context(), app.test_client() as other:
                    seen.append(other.post(f"{IMPORTS}/{job_id}/cancel", headers=headers))
            report(rows)

        return progress

    monkeypatch.setattr(services, "_reporter", clerk_cancels_midway)
    before = next_number()
    r = client.post(f"{IMPORTS}/{job['id']}/commit", headers=headers)
    assert seen and seen[0].status_code == 200, seen[0].get_json()
    assert r.status_code == 409 and "已被取消" in r.get_json()["message"]
    assert client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()["status"] == "已取消"
    assert db.session.scalar(select(func.count()).select_from(Member)) == 6
    assert next_number() == before


def test_reserved_numbers_go_back_only_if_nobody_took_numbers_after_them(ctx):
    """PostgreSQL's import takes its numbers on a side connection, committed at once; after
    a failed import they are returned only while they are still the newest: never twice."""
    from unioncard.members import numbers

    build_world(members_per_union=1)
    start = next_number()
    reservation = numbers.Reservation("101")
    with db.engine.connect() as side:
        first = reservation.take(side, 3)
        second = reservation.take(side, 2)  # one unbroken run of five
    assert [int(n[3:]) for n in first + second] == list(range(start, start + 5))
    assert reservation.give_back() is True
    assert next_number() == start
    # taken again, then someone else registers a member: the run stays a gap
    with db.engine.connect() as side:
        reservation.take(side, 4)
    other = numbers.allocate("101", 1)
    db.session.commit()
    assert int(other[0][3:]) == start + 4
    assert reservation.give_back() is False
    assert next_number() == start + 5
