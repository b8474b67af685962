"""The card's progress as the member sees it (办卡进度): six stages built from the card log
of the current application — 校验, 提交银行, 银行结果, 制卡, 送达, 激活.

Each stage answers its state (已完成 / 进行中 / 未通过 / 未开始), when it was reached and
the detail (the bank's reason on a failure). The hall and the mini-program show it as is.
"""

from __future__ import annotations

from ..cards.models import CardLogEntry, CardStatus, Verification
from .models import CardApplicationStatus as S

DONE, CURRENT, FAILED, WAITING = "已完成", "进行中", "未通过", "未开始"

# stage name -> the card statuses a log row moves to when the stage is reached
AFTER_CHECK = (
    ("提交银行", {CardStatus.IN_PROGRESS}),
    ("银行结果", {CardStatus.ISSUED, CardStatus.FAILED}),
    ("制卡", {CardStatus.PRODUCED}),
    ("送达", {CardStatus.DELIVERED, CardStatus.HANDED_OUT}),
    ("激活", {CardStatus.ACTIVATED}),
)
# the same as the log stores them (CardLogEntry.to_status is the status's word)
_TARGET_WORDS = tuple((name, {t.value for t in targets}) for name, targets in AFTER_CHECK)


def _stage(name, state, entry=None, detail=None) -> dict:
    return {
        "name": name,
        "state": state,
        "at": entry.at if entry is not None else None,
        "detail": detail if detail is not None else (entry.detail if entry is not None else None),
    }


def _this_round(entries: list[CardLogEntry]) -> list[CardLogEntry]:
    """The rows since the card last went to 待办中 (this application, or its retry)."""
    start = 0
    for i, row in enumerate(entries):
        if row.to_status == CardStatus.PENDING.value:
            start = i
    return entries[start:]


def stages(application, card, entries: list[CardLogEntry]) -> list[dict]:
    rows = _this_round(entries)
    reached: dict[str, CardLogEntry] = {}
    for row in rows:
        for name, words in _TARGET_WORDS:
            if row.to_status in words:
                reached[name] = row  # the latest row of the stage
    result = []
    if application.status == S.CHECK_FAILED:
        failed = next((r for r in reversed(rows) if r.to_status == CardStatus.NONE.value), None)
        result.append(_stage("校验", FAILED, failed, application.reasons))
    elif reached or (card is not None and card.verification == Verification.PASSED):
        passed = next((r for r in rows if r.action in ("提交系统校验", "完善信息")), None)
        result.append(_stage("校验", DONE, passed, "已通过"))
    else:
        result.append(_stage("校验", CURRENT if application.status == S.CHECKING else WAITING))
    blocked = result[0]["state"] != DONE or application.status == S.CANCELLED
    for name, _targets in AFTER_CHECK:
        row = reached.get(name)
        if row is not None and not blocked:
            bank_failed = row.to_status == CardStatus.FAILED.value
            result.append(_stage(name, FAILED if bank_failed else DONE, row))
            blocked = bank_failed
        elif not blocked and result[-1]["state"] == DONE:
            result.append(_stage(name, CURRENT))
            blocked = True
        else:
            result.append(_stage(name, WAITING))
    return result
