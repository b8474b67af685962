"""The annotated copy of an upload (错误标注): bad cells in red with a comment, messages in N.

``annotate_workbook(data, errors) -> bytes`` copies the values of the uploaded first sheet
(every row, so row numbers stay the clerk's) into a new workbook written in openpyxl's
write-only mode, while calamine streams the rows: memory holds the errors, not the sheet's
cells. The clerk fixes the copy and uploads it again; the engine accepts the extra column
N "错误信息" (and this function replaces an old one rather than adding another).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

import python_calamine
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .results import CellError
from .template import COLUMN_WIDTHS, ERROR_HEADER, HEADER_ROW, MEMBER_SHEET, WIDTH

ERROR_FILL_COLOR = "FFFFC7CE"  # Excel's "bad" red
ERROR_FONT_COLOR = "FF9C0006"
MESSAGE_SEPARATOR = "；"
COMMENT_AUTHOR = "系统校验"

_FILL = PatternFill("solid", fgColor=ERROR_FILL_COLOR)
_MESSAGE_FONT = Font(color=ERROR_FONT_COLOR)
_HEADER_FONT = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def annotate_workbook(data: bytes, errors: Iterable[CellError]) -> bytes:
    """The uploaded sheet's values with each bad cell marked and a message column."""
    by_row: dict[int, dict[str, list[str]]] = {}
    for error in errors:
        messages = by_row.setdefault(error.row, {}).setdefault(error.column, [])
        if error.message not in messages:
            messages.append(error.message)

    source = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = source.get_sheet_by_index(0)
    start = sheet.start or (0, 0)
    first_row, first_col = start
    rows = iter(sheet.iter_rows()) if sheet.start is not None else iter(())

    # Rows 1-4 are read ahead to find an old message column to replace.
    top: list[list] = []
    for _ in range(max(0, HEADER_ROW - first_row)):
        cells = next(rows, None)
        if cells is None:
            break
        top.append([""] * first_col + cells)
    width = max(WIDTH, first_col + (sheet.width if sheet.start is not None else 0))
    header = top[HEADER_ROW - first_row - 1] if len(top) >= HEADER_ROW - first_row > 0 else []
    message_idx = width
    for idx in range(WIDTH, len(header)):
        if isinstance(header[idx], str) and header[idx].strip() == ERROR_HEADER:
            message_idx = idx
            break
    total = max(width, message_idx + 1)  # columns written, the message column included

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(source.sheet_names[0] if source.sheet_names else MEMBER_SHEET)
    for letter, w in COLUMN_WIDTHS.items():
        ws.column_dimensions[letter].width = w
    ws.column_dimensions[get_column_letter(message_idx + 1)].width = 60
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ():
        if max(c1, c2) < message_idx:
            ws.merged_cells.add(
                f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(c2 + 1)}{r2 + 1}"
            )

    row_no = 0
    for _ in range(first_row):
        row_no += 1
        ws.append(_row(ws, row_no, [], total, message_idx, by_row.get(row_no)))

    def all_rows():
        yield from top
        lead = [""] * first_col
        for cells in rows:
            yield lead + cells if first_col else cells

    for cells in all_rows():
        row_no += 1
        ws.append(_row(ws, row_no, cells, total, message_idx, by_row.pop(row_no, None)))
    for extra in sorted(r for r in by_row if r > row_no):  # errors past the last row
        while row_no < extra:
            row_no += 1
            ws.append(_row(ws, row_no, [], total, message_idx, by_row.get(row_no)))

    out = io.BytesIO()
    wb.save(out)
    source.close()
    return out.getvalue()


def _row(ws, row_no: int, cells: list, total: int, message_idx: int, marks) -> list:
    values = [_value(ws, v) for v in cells[:total]]
    values.extend([None] * (total - len(values)))
    values[message_idx] = None  # an old message column is replaced
    if row_no == HEADER_ROW:
        cell = WriteOnlyCell(ws, ERROR_HEADER)
        cell.font = _HEADER_FONT
        values[message_idx] = cell
    if not marks:
        return values
    all_messages: list[str] = []
    for column, messages in marks.items():
        all_messages.extend(m for m in messages if m not in all_messages)
        if not column:
            continue
        idx = _column_index(column)
        if idx == message_idx or idx >= len(values):
            continue
        value = values[idx]
        cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value)
        cell.fill = _FILL
        comment = Comment("\n".join(messages), COMMENT_AUTHOR)
        comment.width, comment.height = 300, 40 + 20 * len(messages)
        cell.comment = comment
        values[idx] = cell
    if row_no != HEADER_ROW:
        cell = WriteOnlyCell(ws, MESSAGE_SEPARATOR.join(all_messages))
        cell.font = _MESSAGE_FONT
        cell.alignment = _WRAP
        values[message_idx] = cell
    return values


def _value(ws, value):
    """A cell value as openpyxl should write it: text stays text, even "=..."."""
    if type(value) is str:
        if not value:
            return None
        if not value.isprintable() and ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            return cell
        return value
    if type(value) is float and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, (date, datetime, int, float, bool)) or value is None:
        return value
    return str(value)  # time / timedelta


def _column_index(letters: str) -> int:
    idx = 0
    for ch in letters:
        idx = idx * 26 + ord(ch) - ord("A") + 1
    return idx - 1
