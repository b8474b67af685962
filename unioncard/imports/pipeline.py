"""The passes over an uploaded workbook.

- ``validate``: read and check every row (the engine), keep every problem with its row and
  column; nothing goes into the registry. Commits per chunk so the progress shows.
- ``commit``: read and check the file again inside one transaction and write the members
  into the registry (``COPY`` on PostgreSQL as the rows come: the server inserts on one core
  while this process reads and encrypts on the other; on SQLite, one short write at the
  end, so that the single write lock is not held while the file is read). If anything is
  wrong now — the registry changed since the preview — the transaction rolls back and the
  problems are recorded.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from dataclasses import asdict
from datetime import date

from flask import current_app
from psycopg import IntegrityError as DriverIntegrityError
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..bulk import CopyWriter, among, copy_text, is_postgres, sqlite_values
from ..extensions import db
from ..members import numbers
from ..members.models import Member, MemberSource, MemberStatus
from ..models_base import utcnow
from ..orgs.models import Org
from ..orgs.services import branch_codes_for
from ..security.crypto import keyring
from ..storage.services import read_file
from . import messages as msg
from .engine import CellError, ExistingMember, UnionContext, validate_import
from .filecheck import UploadLimits
from .models import ImportIssue, ImportJob

MEMBER_FIELDS = (
    "name",
    "id_type",
    "id_expiry",
    "country",
    "gender",
    "birth_date",
    "work_address",
    "join_date",
    "wants_card",
    "remark",
)
MEMBER_COLUMNS = (
    "org_id",
    "member_no",
    *MEMBER_FIELDS,
    "id_number",
    "id_number_bidx",
    "mobile",
    "mobile_bidx",
    "source",
    "status",
    "insurance_status",
    "import_job_id",
    "created_at",
    "updated_at",
    "status_changed_at",
)
# SQLite: the rows wait, stored, for their numbers (which come last)
WAITING_COLUMNS = ("org_id", *MEMBER_COLUMNS[2:])


def limits() -> UploadLimits:
    cfg = current_app.config
    return UploadLimits(
        max_bytes=cfg["IMPORT_MAX_BYTES"],
        max_uncompressed_bytes=cfg["IMPORT_MAX_UNCOMPRESSED_BYTES"],
        max_ratio=cfg["IMPORT_MAX_RATIO"],
        max_rows=cfg["IMPORT_MAX_ROWS"],
    )


class RegistryLookups:
    """The engine's view of the registry, by blind index (no plaintext leaves the database).

    Keeps the chunk's blind indexes so that writing the same rows does not compute them twice.
    """

    def __init__(self, connection=None):
        self.ring = keyring()
        self.bidx: dict[tuple[str, str], str] = {}
        # the commit pass streams a COPY on the session's connection: look up on another
        self.run = (connection or db.session).execute

    def index(self, kind: str, value: str) -> str:
        key = (kind, value)
        found = self.bidx.get(key)
        if found is None:
            found = self.bidx[key] = self.ring.blind_index(kind, value)
        return found

    def find_ids(self, id_numbers: list[str]) -> dict[str, ExistingMember]:
        by_bidx = {self.index("id_number", n): n for n in id_numbers}
        rows = self.run(
            select(Member.id_number_bidx, Member.name, Member.org_id, Org.name, Member.mobile_bidx)
            .join(Org, Org.id == Member.org_id)
            .where(among(Member.id_number_bidx, list(by_bidx)))
        )
        return {by_bidx[b]: ExistingMember(*found) for b, *found in rows}

    def find_mobiles(self, mobiles: list[str]) -> set[str]:
        by_bidx = {self.index("mobile", m): m for m in mobiles}
        rows = self.run(
            select(Member.mobile_bidx).where(among(Member.mobile_bidx, list(by_bidx)))
        ).scalars()
        return {by_bidx[b] for b in rows}

    def forget(self) -> None:
        self.bidx.clear()


def _issue(job_id: int, error: CellError) -> dict:
    return {
        "job_id": job_id,
        "row": error.row,
        "column": error.column,
        "field": error.field,
        "message": msg.scrubbed(error.message),
    }


def _context(job: ImportJob) -> UnionContext:
    org = db.session.get(Org, job.org_id)
    return UnionContext(org.name, frozenset(code for code, _ in branch_codes_for(org)))


def validate(job: ImportJob, *, chunk_size: int = 2000, today: date | None = None, progress=None):
    """Check the file, record every problem; returns the engine run (counts, header).
    Commits each chunk's problems, then calls ``progress(rows_read)`` (may raise
    ``Cancelled``)."""
    _, data = read_file(job.file_id)
    lookups = RegistryLookups()
    run = validate_import(
        data, _context(job), lookups, limits=limits(), chunk_size=chunk_size, today=today
    )
    if run.header_errors:
        db.session.execute(insert(ImportIssue), [_issue(job.id, e) for e in run.header_errors])
    for chunk in run.chunks():
        problems = [_issue(job.id, e) for outcome in chunk for e in outcome.errors]
        lookups.forget()
        if problems:
            db.session.execute(insert(ImportIssue), problems)
        db.session.commit()
        if progress is not None:
            progress(run.total)
    return run, data


class NoLookups:
    """The commit pass asks the registry nothing: its unique indexes (ID and mobile blind
    indexes) refuse any clash, and ``find_problems`` then names the rows."""

    def __init__(self):
        self.ring = keyring()

    def find_ids(self, id_numbers):
        return {}

    def find_mobiles(self, mobiles):
        return set()

    def index(self, kind: str, value: str) -> str:
        return self.ring.blind_index(kind, value)

    def forget(self) -> None:
        pass


class RegistryChanged(Exception):
    """The registry refused a row (someone registered the same person since the preview)."""


class Cancelled(Exception):
    """The clerk cancelled the job while it was being written (nothing is kept)."""


def reservation(job: ImportJob) -> numbers.Reservation:
    """Where the commit pass takes its member numbers on PostgreSQL (see ``commit``)."""
    return numbers.Reservation(numbers.district_code_of(db.session.get(Org, job.org_id)))


def commit(
    job: ImportJob,
    *,
    reservation: numbers.Reservation,
    chunk_size: int = 5000,
    today: date | None = None,
    progress=None,
):
    """Check the file again and write the members in this transaction, optimistically:
    the registry's unique indexes catch clashes (``RegistryChanged``). Returns (run,
    problems, written); the caller commits when ``problems`` is empty, else rolls back,
    gives the reservation back and calls ``find_problems`` for the full list.

    ``progress(rows_read)`` is called after every chunk (it may raise ``Cancelled``).

    PostgreSQL: the rows stream into ``COPY`` as they are checked, numbered from
    ``reservation`` (a connection of its own: this one is busy with the COPY). SQLite has one
    writer at a time: the rows are checked and encrypted first, holding no lock (others go
    on working, the progress is written), then numbered in this transaction and inserted
    in one short write, so a failed import burns no numbers and never waits for itself.
    """
    try:
        return _commit(
            job, chunk_size=chunk_size, today=today, progress=progress, reservation=reservation
        )
    except (IntegrityError, DriverIntegrityError, sqlite3.IntegrityError) as exc:
        raise RegistryChanged(str(exc)) from None


def find_problems(job: ImportJob, *, today: date | None = None) -> list[CellError]:
    """Every problem of the file against the registry as it is now (nothing written)."""
    _, data = read_file(job.file_id)
    lookups = RegistryLookups()
    run = validate_import(data, _context(job), lookups, limits=limits(), today=today)
    problems = list(run.header_errors)
    for chunk in run.chunks():
        problems.extend(e for outcome in chunk for e in outcome.errors)
        lookups.forget()
    return problems


def _commit(job: ImportJob, *, chunk_size: int, today: date | None, progress, reservation):
    _, data = read_file(job.file_id)
    org_id = job.org_id
    ctx = _context(job)
    now = utcnow()
    fixed = (
        MemberSource.ENTERPRISE.value,
        MemberStatus.ACTIVE.value,
        "正常",
        job.id,
        now,
        now,
        now,
    )
    streaming = is_postgres()
    if streaming:  # the same for every row: render the COPY text once
        fixed = tuple(copy_text(v) for v in fixed)
    lookups = NoLookups()
    ring = lookups.ring
    run = validate_import(data, ctx, lookups, limits=limits(), chunk_size=chunk_size, today=today)
    problems = list(run.header_errors)
    waiting: list[list[tuple]] = []  # SQLite: checked and encrypted, written at the end
    if not streaming:
        stored = sqlite_values(Member.__table__, WAITING_COLUMNS)
    with ExitStack() as stack:
        if streaming:
            side = stack.enter_context(db.engine.connect())
            writer = stack.enter_context(CopyWriter(Member.__table__, MEMBER_COLUMNS))
        for chunk in run.chunks():
            rows = []
            for outcome in chunk:
                if outcome.errors:
                    problems.extend(outcome.errors)
                elif not problems:
                    m = outcome.member
                    rows.append(
                        (
                            *[getattr(m, f) for f in MEMBER_FIELDS],
                            ring.encrypt("id_number", m.id_number),
                            lookups.index("id_number", m.id_number),
                            ring.encrypt("mobile", m.mobile),
                            lookups.index("mobile", m.mobile),
                            *fixed,
                        )
                    )
            lookups.forget()
            if problems:
                waiting.clear()
            elif streaming:
                given = reservation.take(side, len(rows))
                writer.write([(org_id, no, *row) for no, row in zip(given, rows, strict=True)])
            else:  # as SQLite stores them, so that little is left to do under the lock
                waiting.append([stored((org_id, *row)) for row in rows])
            if progress is not None:
                progress(run.total)
        written = 0 if problems or not streaming else writer.count
    if waiting and not problems:
        count = sum(map(len, waiting))
        given = iter(numbers.allocate(reservation.district_code, count))
        waiting.reverse()
        columns = (*WAITING_COLUMNS, "member_no")
        with CopyWriter(Member.__table__, columns, stored=True) as writer:
            while waiting:
                writer.write([(*row, next(given)) for row in waiting.pop()])
        written = writer.count
    return run, problems, written


def record_problems(job: ImportJob, problems: list[CellError]) -> None:
    db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job.id))
    if problems:
        db.session.execute(insert(ImportIssue), [_issue(job.id, e) for e in problems])


def header_of(run) -> dict:
    return asdict(run.header) if run.header is not None else {}
