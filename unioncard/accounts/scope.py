"""Data scope: a staff principal reaches its own org's subtree and nothing else.

Every admin service takes a ``Scope`` and builds its queries through it; there is no
unscoped path. A principal without an org has no scope at all (deny by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select

from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..orgs.models import Org, OrgLevel, in_subtree, subtree_ids, within
from .models import Role

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OPERATOR: frozenset(
        {
            "org.read",
            "member.read",
            "member.write",
            "member.reveal",
            "member.import",
            "audit.read",
            "insurance.read",
            "insurance.enrol",
        }
    ),
    Role.REVIEWER: frozenset(
        {
            "org.read",
            "member.read",
            "member.review",
            "audit.read",
            "insurance.read",
            "insurance.review",
        }
    ),
    Role.CENTER: frozenset(
        {
            "org.read",
            "member.read",
            "audit.read",
            "plan.manage",
            "insurance.read",
            "insurance.confirm",
            "payout.manage",
        }
    ),
    Role.ADMIN: frozenset(
        {
            "org.read",
            "org.write",
            "account.manage",
            "branch.manage",
            "member.read",
            "member.write",
            "member.reveal",
            "member.import",
            "member.review",
            "audit.read",
            "insurance.read",
            "insurance.enrol",
            "insurance.review",
            "plan.split",
        }
    ),
}


@dataclass(frozen=True)
class Scope:
    """Who is acting, and the org subtree they may reach."""

    account_id: int
    account_name: str
    role: Role
    org_id: int
    org_path: str
    org_level: OrgLevel | None = None  # known: a grassroots scope is its own org alone
    # the subtree's org ids, looked up once for all the lists of one request (in_subtree)
    _ids: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def for_account(cls, account) -> Scope:
        org = account.org
        if org is None or not org.active or not org.path:
            raise PermissionDenied("您的账号未关联有效的工会组织，请联系上级工会")
        return cls(account.id, account.display_name, account.role, org.id, org.path, org.level)

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied()

    # --- query helpers -------------------------------------------------------------
    def org_clause(self) -> ColumnElement[bool]:
        """Orgs inside the subtree."""
        return within(Org.path, self.org_path)

    def org_ids(self):
        """A sub-select of every org id inside the subtree."""
        return select(Org.id).where(self.org_clause()).scalar_subquery()

    def owned_by(self, org_id_column) -> ColumnElement[bool]:
        """Rows whose org is inside the subtree (see ``in_subtree`` for how it is named)."""
        if self.org_level in (OrgLevel.GRASSROOTS, OrgLevel.CITY):  # no ids to look up
            return in_subtree(org_id_column, self.org_id, self.org_path, self.org_level)
        if not self._ids:
            self._ids.append(subtree_ids(self.org_path))
        return in_subtree(
            org_id_column, self.org_id, self.org_path, self.org_level, ids=self._ids[0]
        )

    def contains_path(self, path: str | None) -> bool:
        return bool(path) and path.startswith(self.org_path)

    def get_org(self, org_id: int) -> Org:
        org = db.session.get(Org, org_id)
        if org is None or not self.contains_path(org.path):
            raise NotFound("未找到该工会，或不在您的管辖范围内")
        return org

    def get(self, model, object_id: int, *, message: str | None = None):
        """Load a row that has an ``org_id`` only if it lies inside the subtree."""
        owned = in_subtree(model.org_id, self.org_id, self.org_path, self.org_level, sized=False)
        obj = db.session.execute(
            select(model).where(model.id == object_id, owned)
        ).scalar_one_or_none()
        if obj is None:
            raise NotFound(message)
        return obj
