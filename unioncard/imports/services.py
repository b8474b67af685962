"""Member import jobs: upload → validate (task) → preview → all-or-nothing commit.

The workbook is checked as a file at upload (nothing is stored if it cannot be read); a
task validates it in chunks, keeping every problem with its row and column and staging
the valid rows (encrypted, ``pipeline.stage``); the clerk sees the counts and confirms; the
commit writes the staged rows into the registry in one transaction, with member numbers,
or writes nothing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..kvstore import exclusive
from ..models_base import utcnow
from ..orgs.models import Org, OrgLevel
from ..orgs.services import branch_codes_for
from ..storage.services import XLSX, read_file, store_file
from ..tasks_runtime import after_commit
from . import pipeline
from .filecheck import UploadRejected, inspect_upload
from .models import ImportIssue, ImportJob, ImportStatus
from .template import build_template

log = logging.getLogger(__name__)


class ImportConflict(Conflict):
    """The registry changed between validation and commit; the job records why."""

    persist = True


def importing_union(scope: Scope, org_id: int | None) -> Org:
    org = scope.get_org(org_id or scope.org_id)
    if org.level != OrgLevel.GRASSROOTS:
        raise ValidationFailed(
            "请选择要导入会员的基层工会（会员须登记在基层工会下）", {"org_id": ["请选择基层工会"]}
        )
    return org


def template_for(scope: Scope, org_id: int | None) -> tuple[str, bytes]:
    org = importing_union(scope, org_id)
    return f"会员信息采集表-{org.name}.xlsx", build_template(org.name, branch_codes_for(org))


def upload(
    scope: Scope, org_id: int | None, filename: str, data: bytes, *, auto_commit=False, ip=None
) -> ImportJob:
    """Check the file as a file (nothing is stored if it cannot be read), keep it encrypted,
    queue the validation. ``auto_commit``: import at once if the whole file is valid."""
    org = importing_union(scope, org_id)
    if not (filename or "").lower().endswith(".xlsx"):
        raise ValidationFailed(
            "请上传 .xlsx 格式的会员信息采集表（用系统下载的模板填写）",
            {"file": ["文件扩展名应为 .xlsx"]},
        )
    try:
        inspect_upload(data, pipeline.limits())
    except UploadRejected as exc:
        raise ValidationFailed(exc.message, {"file": [exc.message]}) from None
    stored = store_file(
        data,
        filename=filename,
        purpose="member_import",
        content_type=XLSX,
        org_id=org.id,
        created_by=scope.account_id,
    )
    job = ImportJob(
        org_id=org.id,
        created_by=scope.account_id,
        created_by_name=scope.account_name,
        status=ImportStatus.QUEUED,
        filename=filename,
        file_id=stored.id,
        auto_commit=auto_commit,
    )
    db.session.add(job)
    db.session.flush()
    audit.record(
        scope,
        "member.import_upload",
        target_type="import_job",
        target_ids=[job.id],
        detail={"filename": filename, "size": len(data), "org_id": org.id},
        ip=ip,
    )
    from .tasks import validate_import_job

    after_commit(db.session(), validate_import_job, job.id)
    return job


def list_jobs(scope: Scope, *, org_id=None, status=None):
    stmt = select(ImportJob).where(scope.owned_by(ImportJob.org_id))
    if org_id:
        stmt = stmt.where(ImportJob.org_id == scope.get_org(org_id).id)
    if status:
        stmt = stmt.where(ImportJob.status == ImportStatus(status))
    return stmt.order_by(ImportJob.id.desc())


def get_job(scope: Scope, job_id: int) -> ImportJob:
    return scope.get(ImportJob, job_id, message="未找到该导入任务，或不在您的管辖范围内")


def issues(scope: Scope, job_id: int):
    job = get_job(scope, job_id)
    return (
        select(ImportIssue)
        .where(ImportIssue.job_id == job.id)
        .order_by(ImportIssue.row, ImportIssue.column, ImportIssue.id)
    )


def download(scope: Scope, job_id: int, which: str, *, ip=None) -> tuple[str, bytes]:
    """The original upload or the annotated workbook; both hold personal data: audited."""
    job = get_job(scope, job_id)
    file_id = job.file_id if which == "original" else job.annotated_file_id
    if file_id is None:
        raise NotFound("该导入任务没有错误标注文件（文件校验通过或尚未校验完成）")
    record, data = read_file(file_id)
    audit.record(
        scope,
        "member.import_download",
        target_type="import_job",
        target_ids=[job.id],
        detail={"file": which, "filename": record.filename},
        ip=ip,
    )
    name = record.filename if which == "original" else f"错误标注-{job.filename}"
    return name, data


CANCELLABLE = (
    ImportStatus.QUEUED,
    ImportStatus.VALIDATING,
    ImportStatus.READY,
    ImportStatus.INVALID,
    ImportStatus.COMMITTING,
    ImportStatus.FAILED,
)


def cancel(scope: Scope, job_id: int, *, ip=None) -> ImportJob:
    """Cancel a job that is not imported: also one being checked or written (the running
    task notices at its next chunk and writes nothing), stuck or failed."""
    job = get_job(scope, job_id)
    if job.status not in CANCELLABLE:
        raise Conflict(f"导入任务当前为「{job.status.value}」，不能取消")
    if not _move(job, job.status, ImportStatus.CANCELLED, message="已取消，未写入任何会员"):
        raise Conflict("导入任务的状态刚刚发生了变化（可能已导入完成），请刷新后查看")
    pipeline.drop_staged(job)
    audit.record(
        scope, "member.import_cancel", target_type="import_job", target_ids=[job.id], ip=ip
    )
    return job


def _move(job: ImportJob, expected: ImportStatus, status: ImportStatus, **values) -> bool:
    """Change the job's status only if it still is ``expected`` (a cancel, a sweep or the
    task may have moved it meanwhile); the job is reloaded."""
    done = db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == expected)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(job)
    return done == 1


def _reporter(job_id: int, status: ImportStatus):
    """Progress of a running job, written at once on a connection of its own (the job's
    own transaction may be holding its rows); raises ``Cancelled`` once the job has left
    ``status`` (cancelled by the clerk, or given up by the sweep)."""
    table = ImportJob.__table__

    def report(processed: int) -> None:
        with db.engine.begin() as connection:
            done = connection.execute(
                update(table)
                .where(table.c.id == job_id, table.c.status == status)
                .values(processed=processed, updated_at=utcnow())
            ).rowcount
        if not done:
            raise pipeline.Cancelled()

    return report


# --- validation (runs in a task) ---------------------------------------------------
STALL_AFTER = timedelta(minutes=10)
MSG_BROKEN = "导入任务意外中断，未写入任何会员；请取消该任务后重新上传"
MSG_COMMIT_BROKEN = "确认导入未完成（{why}），未写入任何会员；请重新确认导入或取消该任务"


def stalled_jobs() -> list[int]:
    """Jobs with no progress for a while (lost dispatch, dead worker). A job that never
    started is returned to be dispatched again; one that was running is not run again
    (it may be what stopped the worker): a validation or one-pass import becomes 导入失败,
    an interrupted 确认导入 goes back to 待确认导入. The clerk decides what comes next."""
    cutoff = utcnow() - STALL_AFTER
    stale = select(ImportJob).where(
        ImportJob.status.in_(
            [ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.COMMITTING]
        ),
        ImportJob.updated_at < cutoff,
    )
    again = []
    for job in db.session.scalars(stale).all():
        if job.status == ImportStatus.QUEUED:
            again.append(job.id)
        elif job.status == ImportStatus.COMMITTING:
            _move(job, job.status, ImportStatus.READY, message=MSG_COMMIT_BROKEN.format(why="中断"))
        else:
            _move(job, job.status, ImportStatus.FAILED, message=MSG_BROKEN)
    db.session.commit()
    return again


def run_validation(job_id: int, *, chunk_size: int = 2000, today: date | None = None) -> ImportJob:
    """Validate a job's workbook (and import it at once when the clerk asked for that).
    One run per job at a time; a run that fails leaves the job 导入失败 (nothing written),
    never 校验中."""
    with exclusive(f"imports.validate:{job_id}", ttl=1200) as acquired:
        if not acquired:
            return db.session.get(ImportJob, job_id)
        job = db.session.get(ImportJob, job_id)
        if job is None or job.status != ImportStatus.QUEUED:
            return job
        db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job.id))
        if not _move(job, ImportStatus.QUEUED, ImportStatus.VALIDATING, processed=0):
            db.session.rollback()
            return db.session.get(ImportJob, job_id)
        db.session.commit()
        try:
            if job.auto_commit:
                return _validate_and_import(job, today=today)
            run, data, staged = pipeline.validate(
                job,
                chunk_size=chunk_size,
                today=today,
                progress=_reporter(job_id, ImportStatus.VALIDATING),
            )
            return _verdict(job, run, data, staged)
        except UploadRejected as exc:
            db.session.rollback()
            return _finish(job, ImportStatus.REJECTED, message=exc.message)
        except pipeline.Cancelled:
            db.session.rollback()
            return db.session.get(ImportJob, job_id)
        except Exception:
            log.exception("import job %s failed", job_id)
            db.session.rollback()
            return _finish(job, ImportStatus.FAILED, message=MSG_BROKEN)


def _verdict(job: ImportJob, run, data: bytes, staged) -> ImportJob:
    job.header = pipeline.header_of(run)
    job.total, job.valid, job.invalid = run.total, run.valid, run.invalid
    job.processed = run.total
    if run.header_errors or run.invalid or run.total == 0:
        if run.header_errors or run.invalid:
            _annotate(job, data)
        return _finish(job, ImportStatus.INVALID, message=verdict_message(run))
    if staged is not None:  # what 确认导入 writes
        pipeline.stage(job, staged)
    return _finish(job, ImportStatus.READY, message=f"校验通过：共 {run.total} 人，可确认导入")


def verdict_message(run) -> str:
    """What is wrong with the file, in one sentence that says what to fix."""
    fix = "请下载错误标注文件（或查看错误明细）修改后重新上传"
    if run.structure_broken:
        return "模板的第 1、3、4 行（标题、表头、列名）被改动，无法读取会员数据；请重新下载模板填写后上传"
    header = len(run.header_errors)
    if run.total == 0:
        where = f"，第 3 行表头也有 {header} 处未填或填错" if header else ""
        return f"文件中没有会员数据{where}：请从第 5 行起每行填写一名会员后重新上传"
    if header and not run.invalid:
        return f"第 3 行表头有 {header} 处未填或填错（{run.total} 名会员的数据无误）；{fix}"
    if header:
        return f"第 3 行表头有 {header} 处错误，{run.total} 名会员中 {run.invalid} 行有误；{fix}"
    return f"共 {run.total} 名会员，{run.invalid} 行有误；{fix}"


def _validate_and_import(job: ImportJob, *, today) -> ImportJob:
    """One pass for large files: check and write together; any problem writes nothing."""
    job_id = job.id
    try:
        if _write_members(
            job, expected=ImportStatus.VALIDATING, committed_by=job.created_by, today=today
        ):
            return db.session.get(ImportJob, job_id)
    except pipeline.RegistryChanged:
        pass
    # write nothing; a full check (with the registry look-ups) names every problem
    report = _reporter(job_id, ImportStatus.VALIDATING)
    report(0)
    job = db.session.get(ImportJob, job_id)
    db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job_id))
    run, data, staged = pipeline.validate(job, today=today, progress=report)
    return _verdict(job, run, data, staged)


def _write_members(
    job: ImportJob, *, expected: ImportStatus, committed_by, scope=None, ip=None, today=None
) -> bool:
    """The commit pass and, if every member went in, the job 已导入 — in one transaction,
    committed here. False: something is wrong with the file, nothing written. Raises
    ``RegistryChanged`` (a clash with the registry) or ``Cancelled``, nothing written.
    Member numbers taken for a failed attempt are given back."""
    job_id = job.id
    reservation = pipeline.reservation(job)
    try:
        run, problems, written = pipeline.commit(
            job, reservation=reservation, today=today, progress=_reporter(job_id, expected)
        )
        if problems or not written:
            _undo(reservation)
            return False
        pipeline.drop_staged(job)
        now = utcnow()
        done = _move(
            job,
            expected,
            ImportStatus.DONE,
            total=run.total,
            valid=written,
            invalid=0,
            processed=run.total,
            imported=written,
            validated_at=func.coalesce(ImportJob.validated_at, now),
            committed_at=now,
            committed_by=committed_by,
            message=f"已导入 {written} 名会员",
        )
        if not done:
            raise pipeline.Cancelled()
        audit.record(
            scope,
            "member.import_commit",
            target_type="import_job",
            target_ids=[job_id],
            detail={"imported": written, "org_id": job.org_id} | ({} if scope else {"auto": True}),
            ip=ip,
        )
        db.session.commit()
    except BaseException:
        _undo(reservation)
        raise
    return True


def _undo(reservation) -> None:
    db.session.rollback()
    reservation.give_back()


def _finish(job: ImportJob, status: ImportStatus, *, message: str) -> ImportJob:
    """The verdict of a run, unless the job was cancelled meanwhile."""
    job_id = job.id
    db.session.flush()  # the counts; the status only if the job is still being validated
    if _move(
        job,
        ImportStatus.VALIDATING,
        status,
        message=message,
        validated_at=func.coalesce(ImportJob.validated_at, utcnow()),
    ):
        db.session.commit()
    else:
        db.session.rollback()
    return db.session.get(ImportJob, job_id)


def _annotate(job: ImportJob, data: bytes) -> None:
    from .annotate import annotate_workbook
    from .engine import CellError

    found = db.session.execute(
        select(ImportIssue.row, ImportIssue.column, ImportIssue.field, ImportIssue.message)
        .where(ImportIssue.job_id == job.id)
        .order_by(ImportIssue.id)
    )
    errors = [CellError(row, column, field, message) for row, column, field, message in found]
    stored = store_file(
        annotate_workbook(data, errors, limits=pipeline.limits()),
        filename=f"错误标注-{job.filename}",
        purpose="member_import",
        content_type=XLSX,
        org_id=job.org_id,
        created_by=job.created_by,
    )
    job.annotated_file_id = stored.id


# --- commit -------------------------------------------------------------------------
def commit(scope: Scope, job_id: int, *, ip=None) -> ImportJob:
    """确认导入: all the previewed members, with member numbers, or none of them.

    The job shows 导入中 with its progress (committed first, so the clerk sees it) while
    the file is checked again and written; the members and 已导入 commit together."""
    job = get_job(scope, job_id)
    if job.status != ImportStatus.READY:
        raise Conflict(
            f"导入任务当前为「{job.status.value}」，只有「待确认导入」的任务可以确认导入"
        )
    if not _move(job, ImportStatus.READY, ImportStatus.COMMITTING, processed=0, message="正在导入"):
        raise Conflict("该导入任务正在被处理，请刷新后查看")
    db.session.commit()
    clash = False
    try:
        written = _write_members(
            job, expected=ImportStatus.COMMITTING, committed_by=scope.account_id, scope=scope, ip=ip
        )
    except pipeline.Cancelled:
        raise Conflict("导入任务已被取消，未写入任何会员") from None
    except pipeline.RegistryChanged:
        written, clash = False, True
    except Exception as exc:
        log.exception("commit of import job %s failed", job_id)
        why = "数据库繁忙" if isinstance(exc, OperationalError) else "系统错误"
        _move(
            job,
            ImportStatus.COMMITTING,
            ImportStatus.READY,
            message=MSG_COMMIT_BROKEN.format(why=why),
        )
        db.session.commit()
        raise
    if not written:  # nothing written: say why, with every problem
        problems = pipeline.find_problems(db.session.get(ImportJob, job_id))
        if problems:
            raise _changed(job_id, problems, MSG_CHANGED if clash else MSG_RECHECKED) from None
        # the clash is gone already (a concurrent import was undone)
        _move(job, ImportStatus.COMMITTING, ImportStatus.READY, message="可重新确认导入")
        raise ImportConflict("导入时会员信息正在变化，请稍后重新确认导入") from None
    return db.session.get(ImportJob, job_id)


MSG_CHANGED = "校验后会员信息发生了变化，部分会员已登记，请查看错误明细并重新上传"
MSG_RECHECKED = (
    "校验后情况发生了变化（已不是校验当天，或工会名称、开户网点已修改），"
    "重新校验发现问题，未写入任何会员；请查看错误明细并重新上传"
)


def _changed(job_id: int, problems, message: str) -> ImportConflict:
    """Keep the reasons (nothing was written): something changed since the preview."""
    job = db.session.get(ImportJob, job_id)
    pipeline.record_problems(job, problems)
    pipeline.drop_staged(job)
    invalid = len({p.row for p in problems})
    _move(
        job,
        ImportStatus.COMMITTING,
        ImportStatus.INVALID,
        invalid=invalid,
        valid=max(0, job.total - invalid),
        message=message,
    )
    return ImportConflict(message + f"（{invalid} 行）")
