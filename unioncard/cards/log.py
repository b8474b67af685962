"""Every change of a card goes through ``move``: the transition check and the card log row.

``moved`` is the same for bulk writers (the bank's callbacks): it checks the transition and
returns the log row as a dict, for the caller to update the card and insert the rows.
"""

from __future__ import annotations

from ..extensions import db
from ..models_base import utcnow
from ..notifications import outbox as notifications
from .models import CardLogEntry, CardStatus, MemberCard
from .rules import transition

BANK = "银行"
SYSTEM = "系统"


def entry(
    member_id: int,
    actor: str,
    action: str,
    detail: str | None = None,
    *,
    from_status=None,
    to_status=None,
    batch_id=None,
    at=None,
) -> dict:
    """The columns of one ``CardLogEntry``."""
    return {
        "member_id": member_id,
        "actor": actor,
        "action": action,
        "detail": detail,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value if to_status else None,
        "batch_id": batch_id,
        "at": at or utcnow(),
    }


def log(
    card: MemberCard,
    actor: str,
    action: str,
    detail: str | None = None,
    *,
    from_status=None,
    to_status=None,
    batch_id=None,
    at=None,
) -> CardLogEntry:
    row = CardLogEntry(
        **entry(
            card.member_id,
            actor,
            action,
            detail,
            from_status=from_status,
            to_status=to_status,
            batch_id=batch_id,
            at=at,
        )
    )
    db.session.add(row)
    return row


def move(
    card: MemberCard,
    target: CardStatus,
    actor: str,
    detail: str | None = None,
    *,
    batch_id=None,
    at=None,
) -> CardLogEntry:
    """Change the card's status if the state machine allows it; log who, when, what."""
    values = moved(card.member_id, card.status, target, actor, detail, batch_id=batch_id, at=at)
    row = CardLogEntry(**values)
    card.status = target
    db.session.add(row)
    notifications.card_changes([values])  # the member's WeChat message, sent after commit
    return row


def moved(
    member_id: int,
    current: CardStatus,
    target: CardStatus,
    actor: str,
    detail: str | None = None,
    *,
    batch_id=None,
    at=None,
) -> dict:
    """``move`` for bulk writers: check the transition and return the log row; the caller
    sets the card's status and inserts the row."""
    action = transition(current, target)
    return entry(
        member_id,
        actor,
        action,
        detail,
        from_status=current,
        to_status=target,
        batch_id=batch_id,
        at=at,
    )
