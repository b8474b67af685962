"""Member import jobs: upload → validate (task) → preview → all-or-nothing commit.

The workbook is checked as a file at upload (nothing is stored if it cannot be read); a
task validates it in chunks, keeping every problem with its row and column and staging
the valid rows (encrypted); the clerk sees the counts and confirms; the commit moves the
staged rows into the registry in one statement, with member numbers, or writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, insert, literal, select, text

from ..accounts.scope import Scope
from ..audit import services as audit
from ..bulk import among, copy_rows
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..kvstore import exclusive
from ..members import numbers
from ..members.models import Member, MemberSource, MemberStatus
from ..models_base import utcnow
from ..orgs.models import Org, OrgLevel
from ..orgs.services import branch_codes_for
from ..security.crypto import keyring
from ..storage.services import XLSX, read_file, store_file
from ..tasks_runtime import after_commit
from .engine import ExistingMember, UnionContext
from .filecheck import UploadLimits, UploadRejected, inspect_upload
from .models import ImportIssue, ImportJob, ImportStagedRow, ImportStatus
from .template import build_template

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


class ImportConflict(Conflict):
    """The registry changed between validation and commit; the job records why."""

    persist = True


def limits() -> UploadLimits:
    cfg = current_app.config
    return UploadLimits(
        max_bytes=cfg["IMPORT_MAX_BYTES"],
        max_uncompressed_bytes=cfg["IMPORT_MAX_UNCOMPRESSED_BYTES"],
        max_ratio=cfg["IMPORT_MAX_RATIO"],
        max_rows=cfg["IMPORT_MAX_ROWS"],
    )


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


def upload(scope: Scope, org_id: int | None, filename: str, data: bytes, *, ip=None) -> ImportJob:
    org = importing_union(scope, org_id)
    if not (filename or "").lower().endswith(".xlsx"):
        raise ValidationFailed(
            "请上传 .xlsx 格式的会员信息采集表（用系统下载的模板填写）",
            {"file": ["文件扩展名应为 .xlsx"]},
        )
    try:
        inspect_upload(data, limits())
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
    db.session.execute(delete(ImportStagedRow).where(ImportStagedRow.job_id == job.id))
    job.status = ImportStatus.CANCELLED
    audit.record(
        scope, "member.import_cancel", target_type="import_job", target_ids=[job.id], ip=ip
    )
    return job


# --- validation (runs in a task) ----------------------------------------------------
class RegistryLookups:
    """The engine's view of the registry, by blind index (no plaintext leaves the DB).

    Keeps the blind indexes it computed so that staging the same rows reuses them.
    """

    def __init__(self):
        self.ring = keyring()
        self.bidx: dict[tuple[str, str], str] = {}

    def index(self, kind: str, value: str) -> str:
        key = (kind, value)
        found = self.bidx.get(key)
        if found is None:
            found = self.bidx[key] = self.ring.blind_index(kind, value)
        return found

    def find_ids(self, id_numbers: list[str]) -> dict[str, ExistingMember]:
        by_bidx = {self.index("id_number", n): n for n in id_numbers}
        rows = db.session.execute(
            select(Member.id_number_bidx, Member.name, Member.org_id, Org.name)
            .join(Org, Org.id == Member.org_id)
            .where(among(Member.id_number_bidx, list(by_bidx)))
        )
        return {
            by_bidx[b]: ExistingMember(name, org_id, org_name) for b, name, org_id, org_name in rows
        }

    def find_mobiles(self, mobiles: list[str]) -> set[str]:
        by_bidx = {self.index("mobile", m): m for m in mobiles}
        rows = db.session.scalars(
            select(Member.mobile_bidx).where(among(Member.mobile_bidx, list(by_bidx)))
        )
        return {by_bidx[b] for b in rows}

    def forget(self) -> None:
        self.bidx.clear()


STAGED_COLUMNS = (
    "job_id",
    "row",
    *MEMBER_FIELDS,
    "id_number",
    "id_number_bidx",
    "mobile",
    "mobile_bidx",
)


def _staged(job_id: int, row, lookups: RegistryLookups) -> tuple:
    ring = lookups.ring
    return (
        job_id,
        row.row,
        *[getattr(row, f) for f in MEMBER_FIELDS],
        ring.encrypt("id_number", row.id_number),
        lookups.index("id_number", row.id_number),
        ring.encrypt("mobile", row.mobile),
        lookups.index("mobile", row.mobile),
    )


def _issue(job_id: int, error) -> dict:
    return {
        "job_id": job_id,
        "row": error.row,
        "column": error.column,
        "field": error.field,
        "message": error.message,
    }


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
    """Validate a job's workbook; commits per chunk so progress shows. Safe to re-run; one
    run per job at a time."""
    with exclusive(f"imports.validate:{job_id}", ttl=1200) as acquired:
        if not acquired:
            return db.session.get(ImportJob, job_id)
        return _validate(job_id, chunk_size=chunk_size, today=today)


def _validate(job_id: int, *, chunk_size: int, today: date | None) -> ImportJob:
    from .engine import validate_import

    job = db.session.get(ImportJob, job_id)
    if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.VALIDATING):
        return job
    db.session.execute(delete(ImportIssue).where(ImportIssue.job_id == job.id))
    db.session.execute(delete(ImportStagedRow).where(ImportStagedRow.job_id == job.id))
    job.status, job.processed = ImportStatus.VALIDATING, 0
    db.session.commit()

    org = db.session.get(Org, job.org_id)
    ctx = UnionContext(org.name, frozenset(code for code, _ in branch_codes_for(org)))
    _, data = read_file(job.file_id)
    lookups = RegistryLookups()
    staged_table = ImportStagedRow.__table__
    try:
        run = validate_import(
            data, ctx, lookups, limits=limits(), chunk_size=chunk_size, today=today
        )
        if run.header_errors:
            db.session.execute(insert(ImportIssue), [_issue(job.id, e) for e in run.header_errors])
        for chunk in run.chunks():
            problems = [_issue(job.id, e) for outcome in chunk for e in outcome.errors]
            staged = [_staged(job.id, o.member, lookups) for o in chunk if o.member is not None]
            lookups.forget()
            if problems:
                db.session.execute(insert(ImportIssue), problems)
            if staged:
                copy_rows(staged_table, STAGED_COLUMNS, staged)
            job.processed += len(chunk)
            db.session.commit()
    except UploadRejected as exc:
        db.session.rollback()
        return _finish(job, ImportStatus.REJECTED, message=exc.message)
    job.header = asdict(run.header) if run.header is not None else {}
    job.total, job.valid, job.invalid = run.total, run.valid, run.invalid
    if run.header_errors or run.invalid:
        db.session.execute(delete(ImportStagedRow).where(ImportStagedRow.job_id == job.id))
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


def _finish(job: ImportJob, status: ImportStatus, *, message: str) -> ImportJob:
    job.status = status
    job.message = message
    job.validated_at = utcnow()
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
    annotated = annotate_workbook(data, errors)
    stored = store_file(
        annotated,
        filename=f"错误标注-{job.filename}",
        purpose="member_import",
        content_type=XLSX,
        org_id=job.org_id,
        created_by=job.created_by,
    )
    job.annotated_file_id = stored.id


def drop_staged(job_id: int) -> None:
    db.session.execute(delete(ImportStagedRow).where(ImportStagedRow.job_id == job_id))


# --- commit -------------------------------------------------------------------------
def commit(scope: Scope, job_id: int, *, ip=None) -> ImportJob:
    job = get_job(scope, job_id)
    if job.status != ImportStatus.READY:
        raise Conflict(
            f"导入任务当前为「{job.status.value}」，只有「待确认导入」的任务可以确认导入"
        )
    # Lock the job row so that two clicks do not import twice.
    locked = db.session.execute(
        select(ImportJob.id)
        .where(ImportJob.id == job.id, ImportJob.status == ImportStatus.READY)
        .with_for_update()
    ).scalar_one_or_none()
    if locked is None:
        raise Conflict("该导入任务正在被处理，请刷新后查看")
    _recheck(job)
    org = db.session.get(Org, job.org_id)
    count = job.valid
    first = numbers.allocate(numbers.district_code_of(org), count)[0] if count else None
    base = 10**10 + int(first) - 1 if first else 0  # 1 + 10 digits; substr drops the "1"
    now = utcnow()
    staged = ImportStagedRow.__table__.c
    cols = [
        "org_id",
        "member_no",
        "id_number",
        "id_number_bidx",
        "mobile",
        "mobile_bidx",
        *MEMBER_FIELDS,
        "source",
        "status",
        "insurance_status",
        "import_job_id",
        "created_at",
        "updated_at",
        "status_changed_at",
    ]
    number = text(
        f"substr(CAST(({base} + row_number() OVER (ORDER BY import_staged_row.row))"
        " AS VARCHAR(20)), 2)"
    )
    source = select(
        literal(org.id),
        number,
        staged.id_number,
        staged.id_number_bidx,
        staged.mobile,
        staged.mobile_bidx,
        *[staged[f] for f in MEMBER_FIELDS],
        literal(MemberSource.ENTERPRISE.value),
        literal(MemberStatus.ACTIVE.value),
        literal("正常"),
        literal(job.id),
        literal(now),
        literal(now),
        literal(now),
    ).where(staged.job_id == job.id)
    result = db.session.execute(insert(Member.__table__).from_select(cols, source))
    imported = result.rowcount if result.rowcount and result.rowcount > 0 else count
    from .tasks import drop_staged_rows

    after_commit(db.session(), drop_staged_rows, job.id)  # scratch rows: cleared afterwards
    job.status, job.imported = ImportStatus.DONE, imported
    job.committed_at, job.committed_by = now, scope.account_id
    job.message = f"已导入 {imported} 名会员"
    audit.record(
        scope,
        "member.import_commit",
        target_type="import_job",
        target_ids=[job.id],
        detail={"imported": imported, "org_id": org.id},
        ip=ip,
    )
    return job


def _recheck(job: ImportJob) -> None:
    """Between validation and commit someone may have added the same people."""
    staged = ImportStagedRow
    by_id = db.session.execute(
        select(staged.row, Org.name, Member.org_id)
        .join(Member, Member.id_number_bidx == staged.id_number_bidx)
        .join(Org, Org.id == Member.org_id)
        .where(staged.job_id == job.id)
    ).all()
    by_mobile = db.session.scalars(
        select(staged.row)
        .join(Member, Member.mobile_bidx == staged.mobile_bidx)
        .where(staged.job_id == job.id)
    ).all()
    if not by_id and not by_mobile:
        return
    rows = [
        {
            "job_id": job.id,
            "row": row,
            "column": "D",
            "field": "证件号码",
            "message": (
                f"该证件号码在【{org_name}】中已存在！"
                if org_id == job.org_id
                else "该会员身份证已存在于其他工会"
            ),
        }
        for row, org_name, org_id in by_id
    ] + [
        {
            "job_id": job.id,
            "row": row,
            "column": "I",
            "field": "手机号码",
            "message": "该手机号码已被其他会员使用，请核对！",
        }
        for row in by_mobile
    ]
    db.session.execute(insert(ImportIssue), rows)
    db.session.execute(delete(ImportStagedRow).where(ImportStagedRow.job_id == job.id))
    job.status = ImportStatus.INVALID
    job.invalid = len({r["row"] for r in rows})
    job.valid = job.total - job.invalid
    job.message = "校验后会员信息发生了变化，部分会员已登记，请查看错误明细并重新上传"
    raise ImportConflict(job.message + f"（{job.invalid} 行）")
