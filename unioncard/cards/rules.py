"""Card rules: the one transition function of a card's status, and the channel decision."""

from __future__ import annotations

import re

from ..errors import InvalidTransition
from ..members.idcard import RESIDENT_ID
from .models import CardStatus, Channel

S = CardStatus

# What may follow what, and the word the card log uses for it.
TRANSITIONS: dict[tuple[CardStatus, CardStatus], str] = {
    (S.NONE, S.PENDING): "加入待办",
    (S.FAILED, S.PENDING): "重新加入待办",
    (S.PENDING, S.NONE): "移出待办",
    (S.PENDING, S.IN_PROGRESS): "提交办卡",
    (S.IN_PROGRESS, S.NONE): "批次撤销，释放",
    (S.IN_PROGRESS, S.ISSUED): "银行办卡成功",
    (S.IN_PROGRESS, S.FAILED): "银行办卡失败",
    (S.FAILED, S.NONE): "移出待处理",
    (S.ISSUED, S.PRODUCED): "已制卡",
    (S.ISSUED, S.DELIVERED): "已送达单位",
    (S.PRODUCED, S.DELIVERED): "已送达单位",
    (S.ISSUED, S.ACTIVATED): "已激活",
    (S.PRODUCED, S.ACTIVATED): "已激活",
    (S.DELIVERED, S.HANDED_OUT): "已发放",
    (S.DELIVERED, S.ACTIVATED): "已激活",
    (S.HANDED_OUT, S.ACTIVATED): "已激活",
}

# After issue the card only moves forward; an older event arriving late changes nothing.
LIFECYCLE = [S.ISSUED, S.PRODUCED, S.DELIVERED, S.HANDED_OUT, S.ACTIVATED]


class DuplicateTransition(InvalidTransition):
    """The card is already in the target status."""


def transition(current: CardStatus, target: CardStatus) -> str:
    """Check one change; return the card log's word for it, or raise a typed error."""
    if current == target:
        raise DuplicateTransition(f"卡片状态已是「{current.value}」")
    action = TRANSITIONS.get((current, target))
    if action is None:
        raise InvalidTransition(f"卡片状态不能从「{current.value}」变为「{target.value}」")
    return action


def is_behind(current: CardStatus, target: CardStatus) -> bool:
    """True when a lifecycle event is older than where the card already is (out of order)."""
    return (
        current in LIFECYCLE
        and target in LIFECYCLE
        and (LIFECYCLE.index(target) <= LIFECYCLE.index(current))
    )


# --- channel -------------------------------------------------------------------------
NAME_DOTS = re.compile("[\u00b7\u2022\u30fb\uff0e\u2027\u22c5.]")
STANDARD_DOT = "\u00b7"


def normalise_name_dots(name: str) -> str:
    """Minority names use several look-alike dots (·, •, ・, ．): print them as one."""
    return NAME_DOTS.sub(STANDARD_DOT, name)


def unprintable_reason(name: str, *, charset: str, max_length: int) -> str | None:
    """Why the bank cannot print this name, or None when it can."""
    printed = normalise_name_dots(name.strip())
    try:
        printed.encode(charset)
    except UnicodeEncodeError as exc:
        return f"姓名含银行无法打印的字符「{printed[exc.start : exc.end]}」"
    if len(printed) > max_length:
        return f"姓名超过 {max_length} 个字"
    return None


# The channel reason the bank's NAME_CHARSET refusal leaves on a card. It is the bank's
# decision, not ours: adding the member again keeps the special channel (our own charset
# test said the name was printable, and the bank proved it wrong). Only the clerk's
# manual switch (reason 经办人切换) replaces it.
BANK_CHANNEL_REASON = "银行反馈姓名含无法打印的字符"


def choose_channel(
    id_type: str,
    name: str,
    *,
    charset: str,
    max_length: int,
    current: tuple[Channel, str | None] | None = None,
) -> tuple[Channel, str | None]:
    """特殊通道 for papers other than 身份证, for names the bank cannot print, and for
    members the bank already sent there (``current``: the card's channel and reason)."""
    if current == (Channel.SPECIAL, BANK_CHANNEL_REASON):
        return current
    if id_type != RESIDENT_ID:
        return Channel.SPECIAL, f"证件类型为{id_type}"
    reason = unprintable_reason(name, charset=charset, max_length=max_length)
    if reason:
        return Channel.SPECIAL, reason
    return Channel.NORMAL, None
