"""The annual review's rules: its status machine and the business year (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..errors import InvalidTransition
from .models import ReviewStatus

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991

SUBMIT, APPROVE, REJECT = "submit", "approve", "reject"
ACTION_NAMES = {SUBMIT: "提交", APPROVE: "审核通过", REJECT: "退回"}

# (current status, action) -> next status
TRANSITIONS: dict[tuple[ReviewStatus, str], ReviewStatus] = {
    (ReviewStatus.IN_PROGRESS, SUBMIT): ReviewStatus.SUBMITTED,
    (ReviewStatus.RETURNED, SUBMIT): ReviewStatus.SUBMITTED,
    (ReviewStatus.SUBMITTED, APPROVE): ReviewStatus.APPROVED,
    (ReviewStatus.SUBMITTED, REJECT): ReviewStatus.RETURNED,
}
# The unit may change its information and marks only while the review is in its hands.
EDITABLE = frozenset({ReviewStatus.IN_PROGRESS, ReviewStatus.RETURNED})

_REFUSED = {
    (ReviewStatus.SUBMITTED, SUBMIT): "年审已提交，正在等待上级工会审核，不能重复提交",
    (ReviewStatus.APPROVED, SUBMIT): "本年度年审已审核通过，不能再次提交",
    (ReviewStatus.APPROVED, APPROVE): "该年审已审核通过，无需重复审核",
    (ReviewStatus.APPROVED, REJECT): "该年审已审核通过，不能退回",
    (ReviewStatus.RETURNED, APPROVE): "该年审已退回基层工会修改，待重新提交后才能审核",
    (ReviewStatus.RETURNED, REJECT): "该年审已退回，待基层工会重新提交后才能审核",
    (ReviewStatus.IN_PROGRESS, APPROVE): "基层工会尚未提交年审，不能审核",
    (ReviewStatus.IN_PROGRESS, REJECT): "基层工会尚未提交年审，不能退回",
}


def next_status(current: ReviewStatus, action: str) -> ReviewStatus:
    """The one transition function of a review; raises ``InvalidTransition`` when refused."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        message = _REFUSED.get(
            (current, action),
            f"年审当前为「{current.value}」，不能{ACTION_NAMES.get(action, action)}",
        )
        raise InvalidTransition(message)
    return target


def check_editable(current: ReviewStatus) -> None:
    """Unit information and marks change only while the review is 进行中 or 已退回."""
    if current not in EDITABLE:
        if current == ReviewStatus.SUBMITTED:
            raise InvalidTransition("年审已提交，等待上级工会审核期间不能修改")
        raise InvalidTransition("本年度年审已审核通过，不能再修改")


def business_year(moment: datetime) -> int:
    """The year a moment belongs to in Asia/Shanghai (31 Dec 23:30 there is 15:30 UTC)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware timestamp")
    return moment.astimezone(CHINA_TZ).year
