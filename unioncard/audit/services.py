"""Write and read the audit trail. Personal values are masked before they are recorded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from ..accounts.scope import Scope
from ..extensions import db
from ..orgs.models import within
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


def _actor(actor) -> tuple:
    """(account id, name, org id, org path) of a Scope, a StaffAccount or nobody (system)."""
    if actor is None:
        return None, "系统", None, ""
    if isinstance(actor, Scope):
        return actor.account_id, actor.account_name, actor.org_id, actor.org_path
    org = actor.org
    return actor.id, actor.display_name, actor.org_id, org.path if org else ""


def record(
    actor,
    action: str,
    *,
    target_type: str | None = None,
    target_ids=(),
    changes: dict | None = None,
    detail: dict | None = None,
    ip: str | None = None,
) -> AuditRecord:
    """Append one record in the current transaction (it commits or rolls back with the change).

    ``actor`` is the acting Scope, or the StaffAccount itself (login, own password), or
    None for the system (tasks)."""
    ids = [int(t) for t in target_ids]
    actor_id, actor_name, org_id, org_path = _actor(actor)
    entry = AuditRecord(
        actor_id=actor_id,
        actor_name=actor_name,
        org_id=org_id,
        org_path=org_path,
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


def query(
    scope: Scope,
    *,
    action=None,
    actor_id=None,
    target_type=None,
    target_id=None,
    since=None,
    until=None,
):
    """Records written by accounts inside the caller's subtree, newest first."""
    stmt = select(AuditRecord).where(within(AuditRecord.org_path, scope.org_path))
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
