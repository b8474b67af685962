"""Member import jobs: upload → validate (task) → preview → all-or-nothing commit.

The workbook is checked as a file at upload (nothing is stored if it cannot be read); a
task validates it in chunks, keeping every problem with its row and column and staging
the valid rows (encrypted); the clerk sees the counts and confirms; the commit moves the
staged rows into the registry in one statement, with member numbers, or writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select

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


def cancel(scope: Scope, job_id: int, *, ip=None) -> ImportJob:
    job = get_job(scope, job_id)
    if job.status not in (ImportStatus.READY, ImportStatus.INVALID, ImportStatus.QUEUED):
        raise Conflict(f"导入任务当前为「{job.status.value}」，不能取消")
    job.status = ImportStatus.CANCELLED
    audit.record(
        scope, "member.import_cancel", target_type="import_job", target_ids=[job.id], ip=ip
    )
    return job


# --- validation (runs in a task) ---------------------------------------------------
STALL_AFTER = timedelta(minutes=10)


def stalled_jobs() -> list[int]:
    """Jobs queued or validating with no progress for a while (lost dispatch, dead worker)."""
    cutoff = utcnow() - STALL_AFTER
    return list(
        db.session.scalars(
            select(ImportJob.id).where(
                ImportJob.status.in_([ImportStatus.QUEUED, ImportStatus.VALIDATING]),
                ImportJob.updated_at < cutoff,
            )
        )
    )


def run_validation(job_id: int, *, chunk_size: int = 2000, today: date | None = None) -> ImportJob:
    """Validate a job's workbook (and import it at once when the clerk asked for that).
    Safe to re-run; one run per job at a time."""
    with exclusive(f"imports.validate:{job_id}", ttl=1200) as acquired:
        if not acquired:
            return db.session.get(ImportJob, job_id)
        job = db.session.get(ImportJob, job_id)
        if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.VALIDATING):
            return job
        db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job.id))
        job.status, job.processed = ImportStatus.VALIDATING, 0
        db.session.commit()
        try:
            if job.auto_commit:
                return _validate_and_import(job, today=today)
            run, data = pipeline.validate(job, chunk_size=chunk_size, today=today)
        except UploadRejected as exc:
            db.session.rollback()
            return _finish(job, ImportStatus.REJECTED, message=exc.message)
        return _verdict(job, run, data)


def _verdict(job: ImportJob, run, data: bytes) -> ImportJob:
    job.header = pipeline.header_of(run)
    job.total, job.valid, job.invalid = run.total, run.valid, run.invalid
    if run.header_errors or run.invalid:
        _annotate(job, data)
        return _finish(
            job,
            ImportStatus.INVALID,
            message=f"共 {run.total} 行，{run.invalid} 行有误；请下载错误标注文件修改后重新上传",
        )
    if run.total == 0:
        return _finish(
            job, ImportStatus.INVALID, message="文件中没有会员数据，请从第 5 行起填写会员信息"
        )
    return _finish(job, ImportStatus.READY, message=f"校验通过：共 {run.total} 人，可确认导入")


def _validate_and_import(job: ImportJob, *, today) -> ImportJob:
    """One pass for large files: check and write together; any problem writes nothing."""
    try:
        run, problems, written = pipeline.commit(job, today=today)
    except pipeline.RegistryChanged:
        run, problems = None, True
    if problems or run.total == 0:
        # write nothing; a full check (with the registry look-ups) names every problem
        db.session.rollback()
        job = db.session.get(ImportJob, job.id)
        db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job.id))
        job.processed = 0
        run, data = pipeline.validate(job, today=today)
        return _verdict(job, run, data)
    _done(job, written, committed_by=job.created_by)
    audit.record(
        None,
        "member.import_commit",
        target_type="import_job",
        target_ids=[job.id],
        detail={"imported": written, "org_id": job.org_id, "auto": True},
    )
    return _finish(job, ImportStatus.DONE, message=f"已导入 {written} 名会员")


def _done(job: ImportJob, written: int, *, committed_by) -> None:
    job.status, job.imported = ImportStatus.DONE, written
    job.total = job.total or written
    job.valid, job.invalid = written, 0
    job.committed_at, job.committed_by = utcnow(), committed_by
    job.message = f"已导入 {written} 名会员"


def _finish(job: ImportJob, status: ImportStatus, *, message: str) -> ImportJob:
    job.status = status
    job.message = message
    job.validated_at = job.validated_at or utcnow()
    db.session.commit()
    return job


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
        annotate_workbook(data, errors),
        filename=f"错误标注-{job.filename}",
        purpose="member_import",
        content_type=XLSX,
        org_id=job.org_id,
        created_by=job.created_by,
    )
    job.annotated_file_id = stored.id


# --- commit -------------------------------------------------------------------------
def commit(scope: Scope, job_id: int, *, ip=None) -> ImportJob:
    """确认导入: all the previewed members, with member numbers, or none of them."""
    job = get_job(scope, job_id)
    if job.status != ImportStatus.READY:
        raise Conflict(
            f"导入任务当前为「{job.status.value}」，只有「待确认导入」的任务可以确认导入"
        )
    locked = db.session.execute(
        select(ImportJob.id)
        .where(ImportJob.id == job.id, ImportJob.status == ImportStatus.READY)
        .with_for_update()
    ).scalar_one_or_none()
    if locked is None:
        raise Conflict("该导入任务正在被处理，请刷新后查看")
    try:
        _run, problems, written = pipeline.commit(job)
    except pipeline.RegistryChanged:
        db.session.rollback()
        problems = pipeline.find_problems(db.session.get(ImportJob, job_id))
        if not problems:  # the clash is gone already (a concurrent import was undone)
            raise Conflict("导入时会员信息正在变化，请稍后重新确认导入") from None
    if problems:
        raise _changed(job_id, problems)
    _done(job, written, committed_by=scope.account_id)
    audit.record(
        scope,
        "member.import_commit",
        target_type="import_job",
        target_ids=[job.id],
        detail={"imported": written, "org_id": job.org_id},
        ip=ip,
    )
    return job


def _changed(job_id: int, problems) -> ImportConflict:
    """Roll the writes back, keep the reasons: the registry changed since the preview."""
    db.session.rollback()
    job = db.session.get(ImportJob, job_id)
    pipeline.record_problems(job, problems)
    rows = {p.row for p in problems}
    job.status = ImportStatus.INVALID
    job.invalid = len(rows)
    job.valid = max(0, job.total - job.invalid)
    job.message = "校验后会员信息发生了变化，部分会员已登记，请查看错误明细并重新上传"
    return ImportConflict(job.message + f"（{job.invalid} 行）")
