"""Set-up of the card browser tests through the core (not what they test): members put in
the special channel with complete information, ready for 提交办卡."""

from __future__ import annotations

from datetime import timedelta

from unioncard.accounts.scope import Scope
from unioncard.cards import pending
from unioncard.cards.models import Channel
from unioncard.extensions import db
from unioncard.members.idcard import today_in_china
from unioncard.members.models import Member


def special_and_complete(scope: Scope, ids: list[int], id_type: str = "身份证") -> None:
    """Add ``ids`` to 待办, in the special channel, 信息已完善 (ID valid ten more years)."""
    pending.add_to_pending(scope, ids)
    expiry = today_in_china() + timedelta(days=3650)
    for member_id in ids:
        if pending.card_of(db.session.get(Member, member_id)).channel != Channel.SPECIAL:
            pending.switch_channel(scope, member_id, "特殊")
        pending.complete_info(
            scope, member_id, {"id_type": id_type, "id_expiry": expiry, "country": "中国"}
        )
