"""The annual review file (年审批量导入模板): ID numbers of the members who fail, with reasons.

Layout (the manual's "年审批量导入模板"): row 1 "附件", row 2 the caption, row 3 the
column headers 证件号码 | 不通过原因 | 备注, members from row 4; a 填写说明 sheet.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from ..imports.template import Column
from .models import FailReason

TITLE_CELL = "A1"
TITLE_TEXT = "附件"
CAPTION_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4
SHEET = "年审不通过人员"
GUIDE_SHEET = "填写说明"
REASONS: tuple[str, ...] = tuple(r.value for r in FailReason)


COLUMNS: tuple[Column, ...] = (
    Column("id_number", "*证件号码", "A"),
    Column("reason", "*不通过原因", "B"),
    Column("remark", "备注", "C"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
WIDTH = len(COLUMNS)
_TEMPLATE_ROWS = 5000

_BOLD = Font(bold=True)
_RED_BOLD = Font(bold=True, color="FFC00000")
_THIN = Side(style="thin", color="FF999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LABEL_FILL = PatternFill("solid", fgColor="FFDDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def caption(year: int, union_name: str) -> str:
    return f"{year}年度工会会员年审不通过人员名单（{union_name}）"


def guide_lines(year: int) -> list[tuple[str, ...]]:
    """The rows of the 填写说明 sheet."""
    return [
        ("填写说明",),
        (f"1. 本表用于{year}年度会员年审：只填写年审不通过的会员，通过的会员不用填写。",),
        ("2. 请勿修改表头：第1行“附件”、第3行列名都不能改动，会员从第4行起填写。",),
        ("3. 证件号码：填写本工会在册会员（状态为“正常”）的证件号码，身份证须为18位，",),
        ("   不要把数字“0”写成字母“O”；请把该列设为文本格式，以免Excel把号码变成数字。",),
        ("4. 不通过原因：从下拉列表选择“" + "”、“".join(REASONS) + "”之一。",),
        ("5. 同一证件号码只能填写一次；备注不超过200个字。",),
        ("6. 上传后系统逐行校验，有任何错误时本次上传不做任何修改，请按提示改正后重新上传；",),
        ("   校验通过的名单与列表年审中已标记的会员合并，同一会员以本次上传为准。",),
    ]


def build_template(year: int, union_name: str) -> bytes:
    """The xlsx template for one union's review of ``year``."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws[TITLE_CELL] = TITLE_TEXT
    ws[f"A{CAPTION_ROW}"] = caption(year, union_name)
    ws.merge_cells(f"A{CAPTION_ROW}:C{CAPTION_ROW}")
    ws[f"A{CAPTION_ROW}"].font = Font(bold=True, size=14)
    ws[f"A{CAPTION_ROW}"].alignment = _CENTER
    ws.row_dimensions[CAPTION_ROW].height = 36
    for col, width in zip(COLUMNS, (24, 14, 40), strict=True):
        cell = ws[f"{col.letter}{HEADER_ROW}"]
        cell.value = col.label
        cell.font = _RED_BOLD if col.label.startswith("*") else _BOLD
        cell.fill = _LABEL_FILL
        cell.border = _BOX
        cell.alignment = _CENTER
        ws.column_dimensions[col.letter].width = width
    ws.column_dimensions["A"].number_format = "@"
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(REASONS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="填写错误",
        error="请从下拉列表中选择不通过原因",
    )
    ws.add_data_validation(dv)
    dv.add(f"B{FIRST_DATA_ROW}:B{FIRST_DATA_ROW + _TEMPLATE_ROWS - 1}")

    guide = wb.create_sheet(GUIDE_SHEET)
    for line in guide_lines(year):
        guide.append(line)
    guide.column_dimensions["A"].width = 100
    guide["A1"].font = Font(bold=True, size=14)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
