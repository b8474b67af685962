"""Member import jobs (会员批量导入), their errors and the staged valid rows."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import TimestampMixin, UTCDateTime, enum_column
from ..security.crypto import Encrypted


class ImportStatus(enum.StrEnum):
    QUEUED = "排队中"
    VALIDATING = "校验中"
    INVALID = "校验未通过"
    READY = "待确认导入"
    COMMITTING = "导入中"
    DONE = "已导入"
    REJECTED = "文件无法读取"
    CANCELLED = "已取消"
    FAILED = "导入失败"


class ImportJob(TimestampMixin, db.Model):
    """One uploaded workbook and what became of it (导入任务)."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_by_name: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[ImportStatus] = enum_column(ImportStatus, "import_status")
    filename: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    annotated_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    total: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    header: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


class ImportIssue(db.Model):
    """One problem found in an uploaded workbook, at its row and column (导入错误)."""

    __tablename__ = "import_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(3))
    field: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)


class ImportStagedRow(db.Model):
    """A validated row waiting for the clerk to confirm the import (待导入会员).

    A scratch table written with COPY: no foreign key and no index but the job's, so that
    staging 100,000 rows costs little; the service deletes a job's rows when it is done.
    """

    __tablename__ = "import_staged_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer, index=True)
    row: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    id_type: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(Encrypted("id_number"))
    id_number_bidx: Mapped[str] = mapped_column(String(32))
    id_expiry: Mapped[date | None] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str] = mapped_column(Encrypted("mobile"))
    mobile_bidx: Mapped[str] = mapped_column(String(32))
    work_address: Mapped[str | None] = mapped_column(String(100))
    join_date: Mapped[date | None] = mapped_column(Date)
    wants_card: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str | None] = mapped_column(String(200))
