"""Every change of a card goes through ``move``: the transition check and the card log row."""

from __future__ import annotations

from ..extensions import db
from ..models_base import utcnow
from .models import CardLogEntry, CardStatus, MemberCard
from .rules import transition

BANK = "银行"
SYSTEM = "系统"


def log(card: MemberCard, actor: str, action: str, detail: str | None = None, *,
        from_status=None, to_status=None, batch_id=None, at=None) -> CardLogEntry:
    entry = CardLogEntry(member_id=card.member_id, actor=actor, action=action, detail=detail,
                         from_status=from_status.value if from_status else None,
                         to_status=to_status.value if to_status else None,
                         batch_id=batch_id, at=at or utcnow())
    db.session.add(entry)
    return entry


def move(card: MemberCard, target: CardStatus, actor: str, detail: str | None = None, *,
         batch_id=None, at=None) -> CardLogEntry:
    """Change the card's status if the state machine allows it; log who, when, what."""
    action = transition(card.status, target)
    before = card.status
    card.status = target
    return log(card, actor, action, detail, from_status=before, to_status=target,
               batch_id=batch_id, at=at)
