"""Write and read the audit trail. Personal values are masked before they are recorded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from ..accounts.scope import Scope
from ..extensions import db
from ..security.masking import mask_value
from .models import AuditRecord

# Fields holding personal data and how to mask them in before/after values.
SENSITIVE = {
    "id_number": "id_number",
    "mobile": "mobile",
    "card_no": "card_no",
    "name": "name",
    "contact_phone": "mobile",
}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def masked(field: str, value):
    value = _plain(value)
    kind = SENSITIVE.get(field)
    return mask_value(kind, str(value)) if kind and value is not None else value


def changes_between(before: dict, after: dict) -> dict:
    """``{field: [before, after]}`` for the fields that differ, masked."""
    return {
        field: [masked(field, before.get(field)), masked(field, after.get(field))]
        for field in after
        if _plain(before.get(field)) != _plain(after.get(field))
    }


def record(
    scope: Scope | None,
    action: str,
    *,
    target_type: str | None = None,
    target_ids=(),
    changes: dict | None = None,
    detail: dict | None = None,
    ip: str | None = None,
    actor_name: str | None = None,
    org_path: str | None = None,
) -> AuditRecord:
    """Append one record in the current transaction (it commits or rolls back with the change)."""
    ids = [int(t) for t in target_ids]
    entry = AuditRecord(
        actor_id=scope.account_id if scope else None,
        actor_name=scope.account_name if scope else actor_name,
        org_id=scope.org_id if scope else None,
        org_path=scope.org_path if scope else (org_path or ""),
        action=action,
        target_type=target_type,
        target_ids=ids,
        target_key="," + "".join(f"{t}," for t in ids),
        changes=changes or {},
        detail=detail or {},
        ip=ip,
    )
    db.session.add(entry)
    return entry


def query(scope: Scope, *, action=None, actor_id=None, target_type=None, target_id=None,
          since=None, until=None):
    """Records written by accounts inside the caller's subtree, newest first."""
    stmt = select(AuditRecord).where(AuditRecord.org_path.startswith(scope.org_path, autoescape=True))
    if action:
        stmt = stmt.where(AuditRecord.action.startswith(action, autoescape=True))
    if actor_id:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditRecord.target_type == target_type)
    if since:
        stmt = stmt.where(AuditRecord.at >= since)
    if until:
        stmt = stmt.where(AuditRecord.at < until)
    if target_id is not None:
        stmt = stmt.where(AuditRecord.target_key.contains(f",{int(target_id)},"))
    return stmt.order_by(AuditRecord.id.desc())
