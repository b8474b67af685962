"""Rows 1-4 of an upload: the structure of the template and the header block values."""

from __future__ import annotations

from ..members.idcard import normalise_text
from . import messages as msg
from .results import CellError, HeaderInfo, UnionContext
from .template import (
    COLUMNS,
    ERROR_HEADER,
    HEADER_BLOCK_ROW,
    HEADER_FIELDS,
    HEADER_ROW,
    INCOME_BANDS,
    NO,
    TITLE_ROW,
    TITLE_TEXT,
    UNIT_TYPES,
    WIDTH,
    YES,
)

STRUCTURE_FIELD = "表头"
_EMPTY_ROW: list = []


def _label(value: object) -> str:
    return "".join(normalise_text(value).split())


def _cell(row: list, letter: str) -> object:
    idx = ord(letter) - ord("A")
    return row[idx] if idx < len(row) else ""


def check_structure(top: dict[int, list]) -> list[CellError]:
    """Errors where the template's fixed text was altered (rows 1, 3 and 4).

    ``top`` maps Excel rows 1-4 to their cells (column A first). A column N headed
    "错误信息" (the annotated copy sent back after fixing) is allowed; anything else right
    of column M on row 4 is not.
    """
    errors: list[CellError] = []

    def bad(row: int, letter: str) -> None:
        errors.append(CellError(row, letter, STRUCTURE_FIELD, msg.HEADER_INCOMPLETE))

    if _label(_cell(top.get(TITLE_ROW, _EMPTY_ROW), "A")) != TITLE_TEXT:
        bad(TITLE_ROW, "A")
    block = top.get(HEADER_BLOCK_ROW, _EMPTY_ROW)
    for h in HEADER_FIELDS:
        if _label(_cell(block, h.label_column)) != h.label:
            bad(HEADER_BLOCK_ROW, h.label_column)
    header = top.get(HEADER_ROW, _EMPTY_ROW)
    for col in COLUMNS:
        if _label(_cell(header, col.letter)) != col.label:
            bad(HEADER_ROW, col.letter)
    for idx in range(WIDTH, len(header)):
        text = _label(header[idx])
        if text and not (idx == WIDTH and text == ERROR_HEADER):
            bad(HEADER_ROW, _letter(idx))
    return errors


def _letter(idx: int) -> str:
    letters = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def check_header_block(row: list, ctx: UnionContext) -> tuple[HeaderInfo, list[CellError]]:
    """The five header values of row 3, each checked at its own cell."""
    info = HeaderInfo()
    errors: list[CellError] = []
    for h in HEADER_FIELDS:
        raw = _cell(row, h.value_column)
        text = normalise_text(raw)
        message = None
        if not text:
            message = msg.HEADER_INCOMPLETE
        elif h.key == "union_name":
            info.union_name = raw.strip() if isinstance(raw, str) else text
            if info.union_name != ctx.union_name.strip():
                message = msg.UNION_NAME_MISMATCH
        elif h.key == "income_code":
            if text in {str(code) for code in INCOME_BANDS}:
                info.income_code = int(text)
            else:
                message = msg.INCOME_CODE_INVALID
        elif h.key == "unit_type":
            if text in UNIT_TYPES:
                info.unit_type = text
            else:
                message = msg.UNIT_TYPE_INVALID
        elif h.key == "branch_code":
            if text in ctx.branch_codes:
                info.branch_code = text
            else:
                message = msg.BRANCH_INVALID
        elif h.key == "transport_card":
            if text in (YES, NO):
                info.transport_card = text == YES
            else:
                message = msg.TRANSPORT_CARD_INVALID
        if message:
            errors.append(CellError(HEADER_BLOCK_ROW, h.value_column, h.field, message))
    return info, errors
