"""Reading and checking an uploaded review file (pure: the database is a callback).

``read_marks(data, find, limits=..., today=...)`` returns the marks to merge, one per row,
or raises ``UploadRejected`` (the file cannot be read at all: one message) or
``MarksInvalid`` with every problem at its Excel row and column. Nothing is applied by the
caller unless the whole file is valid.

``find(id_numbers)`` maps each normalised ID number that belongs to some member to a
``Holder``; the caller looks them up by blind index.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import python_calamine

from ..imports import messages as import_msg
from ..imports.filecheck import (
    MSG_CORRUPT,
    MSG_NO_SHEET,
    UploadLimits,
    UploadRejected,
    inspect_upload,
)
from ..imports.results import CellError
from ..members.idcard import (
    InvalidIdNumber,
    free_text,
    normalise_id_number,
    normalise_text,
    parse_resident_id,
)
from ..members.models import MemberStatus
from ..members.rules import ID_MESSAGES
from .models import FailReason
from .template import COLUMN_BY_KEY, COLUMNS, FIRST_DATA_ROW, HEADER_ROW, REASONS, TITLE_TEXT

HEADER_ALTERED = "请使用系统下载的年审模板填写，不要修改第1行“附件”和第3行的列名！"
NOT_A_MEMBER = "该证件号码不是本工会会员！"
OTHER_UNION_NAMED = "该证件号码是【{org_name}】的会员，不是本工会会员！"
OTHER_UNION = "该证件号码是其他工会的会员，不是本工会会员！"
NOT_ACTIVE = "该会员当前状态为「{status}」，不在年审范围内，请删除该行！"
DUPLICATE_ID = "同第{row}行的证件号码相同，同一会员只能填写一次！"
REASON_REQUIRED = "不通过原因不能为空！"
REASON_INVALID = (  # 不通过原因只能填写【退休】、【离职】或【死亡】！
    "不通过原因只能填写" + "、".join(f"【{r}】" for r in REASONS[:-1]) + f"或【{REASONS[-1]}】！"
)
REMARK_TOO_LONG = "备注不能超过200个字！"
FORMULA = "该单元格是公式（={formula}），请复制后“粘贴为值”！"
NO_ROWS = f"文件中没有年审不通过的会员，请从第{FIRST_DATA_ROW}行起填写证件号码和不通过原因。"
TOO_MANY_ROWS = "每个文件最多填写{limit}名会员，请分成几个文件上传。"
TOO_WIDE = "表格内容超出了模板范围（A至C列），请删除多余的列后重新上传。"

_MAX_COLUMNS = 26  # A..Z: anything wider is not this template
_EXACT_FLOAT_LIMIT = 1e15  # integral floats below this hold every digit exactly
_RESIDENT_LIKE = re.compile(r"[0-9OoXx]{15,20}")  # meant as a 身份证 number
_ID = COLUMN_BY_KEY["id_number"]
_REASON = COLUMN_BY_KEY["reason"]
_REMARK = COLUMN_BY_KEY["remark"]


class MarksInvalid(Exception):
    """The file was read but some rows are wrong; ``errors`` lists each one. ``message`` is
    set when one thing is wrong with the file as a whole (altered header, no rows)."""

    def __init__(self, errors: list[CellError], message: str | None = None):
        self.errors = errors
        self.message = message
        super().__init__(message or f"{len(errors)} errors")


@dataclass(frozen=True)
class Holder:
    """The member holding an ID number, as far as the uploader may know it."""

    member_id: int
    org_id: int
    org_name: str | None  # None when the union is outside the uploader's scope
    status: str


@dataclass(frozen=True)
class MarkRow:
    row: int
    member_id: int
    reason: FailReason
    remark: str | None


@dataclass
class _Row:
    row: int
    id_number: str | None
    reason: FailReason | None
    remark: str | None


def read_marks(
    data: bytes,
    find: Callable[[list[str]], dict[str, Holder]],
    *,
    org_id: int,
    limits: UploadLimits,
    today: date,
) -> list[MarkRow]:
    """Validate the whole file against the union ``org_id``; see the module docstring."""
    formulas = inspect_upload(data, limits, formula_columns=(_ID.letter, _REASON.letter))
    try:
        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(
            0
        )
    except python_calamine.WorksheetNotFound:
        raise UploadRejected(MSG_NO_SHEET) from None
    except (python_calamine.CalamineError, ValueError, OSError):
        raise UploadRejected(MSG_CORRUPT) from None
    # A1 holds "附件", so the range starts at A1 and rows come from Excel row 1.
    if sheet.start != (0, 0):
        raise MarksInvalid([CellError(1, "A", "表头", HEADER_ALTERED)], HEADER_ALTERED)
    if sheet.end[1] >= _MAX_COLUMNS:
        raise UploadRejected(TOO_WIDE)

    errors: list[CellError] = []
    rows: list[_Row] = []
    first_row_of: dict[str, int] = {}
    for row_no, cells in enumerate(sheet.iter_rows(), start=1):
        if len(cells) < len(COLUMNS):
            cells = list(cells) + [""] * (len(COLUMNS) - len(cells))
        if row_no < FIRST_DATA_ROW:
            _check_header(row_no, cells, errors)
            if row_no == HEADER_ROW and errors:
                raise MarksInvalid(errors, HEADER_ALTERED)
            continue
        if all(_blank(cells[c]) for c in range(len(COLUMNS))):
            continue
        if len(rows) >= limits.max_rows:
            raise UploadRejected(TOO_MANY_ROWS.format(limit=limits.max_rows))
        parsed = _read_row(row_no, cells, formulas, errors)
        rows.append(parsed)
        if parsed.id_number is not None:
            first = first_row_of.setdefault(parsed.id_number, row_no)
            if first != row_no:
                errors.append(_error(row_no, _ID, DUPLICATE_ID.format(row=first)))
                parsed.id_number = None
    if errors == [] and len(rows) == 0:
        # a header too short to reach row 3 ends the loop before the check
        if (sheet.end[0] + 1) < HEADER_ROW:
            raise MarksInvalid([CellError(1, "A", "表头", HEADER_ALTERED)], HEADER_ALTERED)
        raise MarksInvalid([CellError(FIRST_DATA_ROW, "A", "证件号码", NO_ROWS)], NO_ROWS)

    holders = _lookup(find, [r.id_number for r in rows if r.id_number is not None])
    marks: list[MarkRow] = []
    for r in rows:
        if r.id_number is None:
            continue
        member_id = _resolve(r, holders, org_id, today, errors)
        if member_id is not None and r.reason is not None:
            marks.append(MarkRow(r.row, member_id, r.reason, r.remark))
    if errors:
        errors.sort(key=lambda e: (e.row, e.column))
        raise MarksInvalid(errors)
    return marks


def _check_header(row_no: int, cells: list, errors: list[CellError]) -> None:
    if row_no == 1 and _label(cells[0]) != TITLE_TEXT:
        errors.append(CellError(1, "A", "表头", HEADER_ALTERED))
    if row_no == HEADER_ROW:
        for col in COLUMNS:
            if _label(cells[ord(col.letter) - ord("A")]) != col.field:
                errors.append(CellError(HEADER_ROW, col.letter, "表头", HEADER_ALTERED))


def _read_row(row_no: int, cells: list, formulas: dict, errors: list[CellError]) -> _Row:
    out = _Row(row_no, None, None, None)
    formula = formulas.get((row_no, _ID.letter))
    raw = cells[0]
    if formula is not None:
        errors.append(_error(row_no, _ID, FORMULA.format(formula=formula)))
    elif _blank(raw):
        errors.append(_error(row_no, _ID, import_msg.ID_NUMBER_REQUIRED))
    elif isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= _EXACT_FLOAT_LIMIT):
        errors.append(_error(row_no, _ID, import_msg.ID_NUMBER_AS_NUMBER))
    else:
        number = normalise_id_number(raw)
        if len(number) > 30:
            errors.append(_error(row_no, _ID, import_msg.ID_NUMBER_TOO_LONG))
        else:
            out.id_number = number

    formula = formulas.get((row_no, _REASON.letter))
    reason = normalise_text(cells[1])
    if formula is not None:
        errors.append(_error(row_no, _REASON, FORMULA.format(formula=formula)))
    elif not reason:
        errors.append(_error(row_no, _REASON, REASON_REQUIRED))
    elif reason not in REASONS:
        errors.append(_error(row_no, _REASON, REASON_INVALID))
    else:
        out.reason = FailReason(reason)

    raw = cells[2]
    remark = free_text(raw)
    if len(remark) > 200:
        errors.append(_error(row_no, _REMARK, REMARK_TOO_LONG))
    else:
        out.remark = remark or None
    return out


def _lookup(find, numbers: list[str]) -> dict[str, Holder]:
    """Holders of the numbers as written, and of their upper-case spelling (passports)."""
    if not numbers:
        return {}
    wanted = set(numbers) | {n.upper() for n in numbers}
    return find(sorted(wanted))


def _resolve(r: _Row, holders, org_id: int, today: date, errors: list[CellError]) -> int | None:
    number = r.id_number
    holder = holders.get(number) or holders.get(number.upper())
    if holder is None:
        message = NOT_A_MEMBER
        if _RESIDENT_LIKE.fullmatch(number):
            try:
                parse_resident_id(number, today=today)
            except InvalidIdNumber as exc:
                message = ID_MESSAGES[exc.reason]
        errors.append(_error(r.row, _ID, message))
        return None
    if holder.org_id != org_id:
        if holder.org_name is None:
            errors.append(_error(r.row, _ID, OTHER_UNION))
        else:
            errors.append(_error(r.row, _ID, OTHER_UNION_NAMED.format(org_name=holder.org_name)))
        return None
    if holder.status != MemberStatus.ACTIVE.value:
        errors.append(_error(r.row, _ID, NOT_ACTIVE.format(status=holder.status)))
        return None
    return holder.member_id


def _error(row: int, col, message: str) -> CellError:
    return CellError(row, col.letter, col.field, message)


def _label(value: object) -> str:
    return "".join(normalise_text(value).split()).lstrip("*")


def _blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and not value.strip())
