"""Member import jobs (会员批量导入), their errors and the staged valid rows."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import TimestampMixin, UTCDateTime, enum_column


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
    # the preview's validated, encrypted rows, which 确认导入 writes (pipeline.stage)
    staged_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    total: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    header: Mapped[dict] = mapped_column(JSON, default=dict)
    # import at once when the whole file is valid (no preview step)
    auto_commit: Mapped[bool] = mapped_column(Boolean, default=False)
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
