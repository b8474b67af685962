"""Staff accounts (工作人员账号) and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin, UTCDateTime, as_aware, enum_column, utcnow
from ..orgs.models import Org


class Role(enum.StrEnum):
    OPERATOR = "operator"  # 经办：基层工会日常业务
    REVIEWER = "reviewer"  # 审核：审批下级提交
    CENTER = "center"  # 职保中心
    ADMIN = "admin"  # 管理员：组织与账号


ROLE_NAMES = {"operator": "经办人", "reviewer": "审核人", "center": "职保中心", "admin": "管理员"}


class StaffAccount(TimestampMixin, db.Model):
    """A union staff login (工会工作人员账号); sees and acts on its org's subtree only."""

    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    # Nullable so that an account detached from a dissolved org is denied, not widened.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    role: Mapped[Role] = enum_column(Role, "staff_role")
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change/reset: every token issued before stops working.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Org | None] = relationship()

    @property
    def locked(self) -> bool:
        """登录锁定中, on the server's clock (the console shows 已锁定 and 解除锁定 from it)."""
        return self.locked_until is not None and as_aware(self.locked_until) > utcnow()
