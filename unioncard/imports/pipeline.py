"""The passes over an uploaded workbook.

- ``validate``: read and check every row (the engine), keep every problem with its row and
  column; nothing goes into the registry. Commits per chunk so the progress shows.
  While the file has no problem, the valid rows are also encrypted as they will be stored
  and kept (``stage``): a stored file of their own, encrypted as a whole too.
- ``commit``: write the members into the registry inside one transaction — the rows the
  preview kept, if it kept them and nothing they depend on has changed since (the upload,
  the union's name and bank branches, the date, the rules' version); otherwise the file is
  read and checked again. ``COPY`` on PostgreSQL as the rows come (the server inserts on
  one core while this process works on the other, ``CopyWriter``); on SQLite, the rows wait
  in the connection's temp table, then one short ``INSERT … SELECT`` at the end, so that the
  single write lock is not held while rows are prepared. Someone registered
  meanwhile with the same ID number or mobile is refused by the registry's unique indexes:
  the transaction rolls back and the problems are recorded.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import date

from flask import current_app
from psycopg import IntegrityError as DriverIntegrityError
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..bulk import (
    CopyWriter,
    SqliteWaitingRows,
    copy_line,
    is_postgres,
    parse_copy_line,
    sqlite_values,
)
from ..errors import NotFound
from ..extensions import db
from ..members import numbers
from ..members.idcard import today_in_china
from ..members.models import Member, MemberSource, MemberStatus
from ..models_base import utcnow
from ..orgs.models import Org
from ..orgs.services import branch_codes_for
from ..security.crypto import CryptoError, keyring
from ..storage.models import StoredFile
from ..storage.services import read_file, store_file
from . import messages as msg
from .engine import CellError, UnionContext, cyclic_gc_paused, validate_import
from .filecheck import UploadLimits
from .models import ImportIssue, ImportJob
from .stored import NoLookups, RegistryLookups, member_lines, member_rows

log = logging.getLogger(__name__)

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
# what a valid row gives (``member_rows``); the rest is the same for every row of a job
ROW_COLUMNS = MEMBER_COLUMNS[2:16]
FIXED_COLUMNS = MEMBER_COLUMNS[16:]
_WANTS_CARD = ROW_COLUMNS.index("wants_card")


def limits() -> UploadLimits:
    cfg = current_app.config
    return UploadLimits(
        max_bytes=cfg["IMPORT_MAX_BYTES"],
        max_uncompressed_bytes=cfg["IMPORT_MAX_UNCOMPRESSED_BYTES"],
        max_ratio=cfg["IMPORT_MAX_RATIO"],
        max_rows=cfg["IMPORT_MAX_ROWS"],
    )


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


@cyclic_gc_paused()
def _read_and_run(job: ImportJob, ctx: UnionContext, lookups, **kwargs):
    """The job's upload and its validation run. ``read_file`` verifies the stored digest, and
    an upload is stored only after ``inspect_upload`` passed it, so the run's own inspection
    may go beside calamine's parse (``checked``)."""
    upload, data = read_file(job.file_id)
    run = validate_import(data, ctx, lookups, limits=limits(), checked=True, **kwargs)
    return upload, data, run


def validate(job: ImportJob, *, chunk_size: int = 2000, today: date | None = None, progress=None):
    """Check the file, record every problem; returns (the engine run (counts, header), the
    file, the rows to keep for 确认导入 or None). Commits each chunk's problems, then calls
    ``progress(rows_read)`` (may raise ``Cancelled``).

    As long as no problem is found, each chunk's valid rows are encrypted and put in the
    form they will be stored in (the blind indexes are the ones just looked up): the
    ``Staged`` rows, for ``stage`` once the file turns out valid."""
    lookups = RegistryLookups()
    ctx = _context(job)
    today = today or today_in_china()
    upload, data, run = _read_and_run(job, ctx, lookups, chunk_size=chunk_size, today=today)
    lines: list[bytes] | None = []
    if run.header_errors:
        lines = None
        db.session.execute(insert(ImportIssue), [_issue(job.id, e) for e in run.header_errors])
    for chunk in run.chunks():
        problems = [_issue(job.id, e) for outcome in chunk for e in outcome.errors]
        if problems:
            lines = None
        elif lines is not None:
            lines.extend(line.encode() for line in member_lines([o.member for o in chunk], lookups))
        lookups.forget()
        if problems:
            db.session.execute(insert(ImportIssue), problems)
        db.session.commit()
        if progress is not None:
            progress(run.total)
    staged = None
    if lines and run.ok:
        staged = Staged(_stamp(upload.sha256, ctx, today), lines)
    return run, data, staged


# --- the preview's rows, kept for 确认导入 -------------------------------------------
STAGE_VERSION = 1  # raise it when a change of the rules changes what a valid row becomes
STAGE_PURPOSE = "member_import_rows"


@dataclass
class Staged:
    """The valid rows of a previewed file (``ROW_COLUMNS``, each a ``copy_line`` in UTF-8)
    and what they depend on (``stamp``): 确认导入 writes them only if the stamp still holds.
    Kept as bytes: as one Python string, a single 𠮷 in a name would make it 4 bytes a
    character."""

    stamp: dict
    lines: list[bytes]

    @property
    def total(self) -> int:
        return len(self.lines)


def _stamp(upload_sha256: str, ctx: UnionContext, today: date) -> dict:
    return {
        "version": STAGE_VERSION,
        "upload_sha256": upload_sha256,
        "union": ctx.union_name,
        "branches": sorted(ctx.branch_codes),
        "today": today.isoformat(),
        "key_id": keyring().active_key_id,  # a key rotation since: encrypt them again
    }


def stage(job: ImportJob, staged: Staged) -> None:
    """Keep the previewed rows with the job: a stored file (encrypted as a whole, like the
    upload it comes from; the ID numbers and mobiles in it are encrypted already)."""
    drop_staged(job)
    head = json.dumps(staged.stamp, ensure_ascii=False).encode()
    stored = store_file(
        b"\n".join([head, *staged.lines]),
        filename=f"导入任务{job.id}-校验通过的会员",
        purpose=STAGE_PURPOSE,
        content_type="text/tab-separated-values; charset=utf-8",
        org_id=job.org_id,
        created_by=job.created_by,
    )
    job.staged_file_id = stored.id


def drop_staged(job: ImportJob) -> None:
    """Forget the kept rows (imported, cancelled, or no longer valid), in this transaction."""
    file_id = job.staged_file_id
    if file_id is None:
        return
    job.staged_file_id = None
    db.session.flush()
    db.session.execute(delete(StoredFile).where(StoredFile.id == file_id))


def staged_rows(job: ImportJob, ctx: UnionContext, today: date) -> Staged | None:
    """The rows the preview kept, if nothing they depend on has changed since: the same
    upload, the union's name and bank branches, the date (expiry, future dates), the rules."""
    if job.staged_file_id is None:
        return None
    upload_sha256 = db.session.scalar(select(StoredFile.sha256).where(StoredFile.id == job.file_id))
    try:
        _, blob = read_file(job.staged_file_id)
    except (NotFound, CryptoError):  # gone or altered: check the upload again instead
        log.warning("import job %s: kept rows unreadable, checking the file again", job.id)
        return None
    head, _, body = blob.partition(b"\n")
    del blob
    stamp = json.loads(head)
    if stamp != _stamp(upload_sha256, ctx, today):
        return None
    return Staged(stamp, body.split(b"\n") if body else [])


class RegistryChanged(Exception):
    """The registry refused a row (someone registered the same person since the preview)."""


class Cancelled(Exception):
    """The clerk cancelled the job while it was being written (nothing is kept)."""


def reservation(job: ImportJob) -> numbers.Reservation:
    """Where the commit pass takes its member numbers on PostgreSQL (see ``commit``)."""
    return numbers.Reservation(numbers.district_code_of(db.session.get(Org, job.org_id)))


@cyclic_gc_paused()
def commit(
    job: ImportJob,
    *,
    reservation: numbers.Reservation,
    chunk_size: int = 5000,
    today: date | None = None,
    progress=None,
):
    """Write the members in this transaction: the rows the preview kept (``staged_rows``),
    else the file checked again; optimistically: the registry's unique indexes catch
    clashes (``RegistryChanged``). Returns (run, problems, written), ``run.total`` being
    the rows of the file; the caller commits when ``problems`` is empty, else rolls back,
    gives the reservation back and calls ``find_problems`` for the full list.

    ``progress(rows_done)`` is called after every chunk (it may raise ``Cancelled``).

    PostgreSQL: the rows stream into ``COPY`` chunk by chunk, numbered from
    ``reservation`` (a connection of its own: this one is busy with the COPY). SQLite has one
    writer at a time: the rows are prepared first into the connection's temp table, holding
    no lock on the database (others go on working, the progress is written), then numbered in
    this transaction and inserted in one short write (``SqliteWaitingRows``), so a failed
    import burns no numbers and never waits for itself.
    """
    try:
        ctx = _context(job)
        today = today or today_in_china()
        staged = staged_rows(job, ctx, today)
        if staged is not None:
            return _commit_staged(
                job, staged, chunk_size=chunk_size, progress=progress, reservation=reservation
            )
        return _commit(
            job,
            ctx=ctx,
            chunk_size=chunk_size,
            today=today,
            progress=progress,
            reservation=reservation,
        )
    except (IntegrityError, DriverIntegrityError, sqlite3.IntegrityError) as exc:
        raise RegistryChanged(str(exc)) from None


def _fixed(job: ImportJob) -> tuple:
    """The values of ``FIXED_COLUMNS``: the same for every member of the job."""
    now = utcnow()
    return (
        MemberSource.ENTERPRISE.value,
        MemberStatus.ACTIVE.value,
        "正常",
        job.id,
        now,
        now,
        now,
    )


def _sqlite_waiting(job: ImportJob) -> SqliteWaitingRows:
    """SQLite: where the job's rows (``ROW_COLUMNS``) wait for their numbers; the union and
    ``_fixed`` as SQLite stores them, converted and bound once for all rows."""
    fixed = sqlite_values(Member.__table__, FIXED_COLUMNS)(_fixed(job))
    return SqliteWaitingRows(
        ROW_COLUMNS, same={"org_id": job.org_id, **dict(zip(FIXED_COLUMNS, fixed, strict=True))}
    )


def _commit_staged(job: ImportJob, staged: Staged, *, chunk_size: int, progress, reservation):
    org_id = job.org_id
    lines = staged.lines
    total = len(lines)
    if is_postgres():
        tail = ("\t" + copy_line(_fixed(job)) + "\n").encode()
        with db.engine.connect() as side, CopyWriter(Member.__table__, MEMBER_COLUMNS) as writer:
            for start in range(0, total, chunk_size):
                part = lines[start : start + chunk_size]
                given = reservation.take(side, len(part))
                data = b"".join(
                    f"{org_id}\t{no}\t".encode() + line + tail
                    for no, line in zip(given, part, strict=True)
                )
                writer.write_copy(data, len(part))
                if progress is not None:
                    progress(start + len(part))
        return staged, [], writer.count
    # as SQLite stores them, waiting outside the lock; then numbered and written at once
    with _sqlite_waiting(job) as waiting:
        for start in range(0, total, chunk_size):
            rows = []
            for line in lines[start : start + chunk_size]:
                values = parse_copy_line(line.decode())
                values[_WANTS_CARD] = 1 if values[_WANTS_CARD] == "t" else 0
                rows.append(values)
            waiting.add(rows)
            if progress is not None:
                progress(min(start + chunk_size, total))
        given = numbers.allocate(reservation.district_code, waiting.count)
        written = waiting.insert_into(Member.__table__, "member_no", given)
    return staged, [], written


@cyclic_gc_paused()
def find_problems(job: ImportJob, *, today: date | None = None) -> list[CellError]:
    """Every problem of the file against the registry as it is now (nothing written)."""
    lookups = RegistryLookups()
    _, _, run = _read_and_run(job, _context(job), lookups, today=today)
    problems = list(run.header_errors)
    for chunk in run.chunks():
        problems.extend(e for outcome in chunk for e in outcome.errors)
        lookups.forget()
    return problems


def _commit(
    job: ImportJob, *, ctx: UnionContext, chunk_size: int, today: date, progress, reservation
):
    org_id = job.org_id
    streaming = is_postgres()
    if streaming:  # the same for every row: render the COPY text once
        tail = "\t" + copy_line(_fixed(job)) + "\n"
    lookups = NoLookups()
    _, _, run = _read_and_run(job, ctx, lookups, chunk_size=chunk_size, today=today)
    problems = list(run.header_errors)
    with ExitStack() as stack:
        if streaming:
            side = stack.enter_context(db.engine.connect())
            writer = stack.enter_context(CopyWriter(Member.__table__, MEMBER_COLUMNS))
        else:  # checked and encrypted, waiting outside the lock; written at the end
            waiting = stack.enter_context(_sqlite_waiting(job))
        for chunk in run.chunks():
            for outcome in chunk:
                if outcome.errors:
                    problems.extend(outcome.errors)
            # a file with a problem writes nothing more (its transaction rolls back), but is
            # checked to the end, its progress shown
            if problems:
                pass
            elif streaming:
                members = [o.member for o in chunk]
                given = reservation.take(side, len(members))
                data = "".join(
                    f"{org_id}\t{no}\t{line}{tail}"
                    for no, line in zip(given, member_lines(members, lookups), strict=True)
                )
                writer.write_copy(data.encode(), len(members))
            else:  # as SQLite stores them, so that little is left to do under the lock
                waiting.add(member_rows([o.member for o in chunk], lookups, true=1, false=0))
            if progress is not None:
                progress(run.total)
        if problems:
            written = 0
        elif streaming:
            written = writer.count
        else:
            given = numbers.allocate(reservation.district_code, waiting.count)
            written = waiting.insert_into(Member.__table__, "member_no", given)
    return run, problems, written


def record_problems(job: ImportJob, problems: list[CellError]) -> None:
    db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job.id))
    if problems:
        db.session.execute(insert(ImportIssue), [_issue(job.id, e) for e in problems])


def header_of(run) -> dict:
    return asdict(run.header) if run.header is not None else {}
