"""The member import template (工会会员信息采集汇总表) and its layout.

The layout follows the Shenzhen guide (seed 004): the header block is on row 3, the column
headers on row 4, members from row 5, and the rightmost column is M. The engine and the
annotated workbook use the constants below, so the three always agree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from ..members.idcard import ID_TYPES

TITLE_ROW = 1
TITLE_CELL = "A1"
TITLE_TEXT = "附件2"
CAPTION_ROW = 2
CAPTION_TEXT = "工会会员信息采集汇总表"
HEADER_BLOCK_ROW = 3
HEADER_ROW = 4
FIRST_DATA_ROW = 5
LAST_COLUMN = "M"
ERROR_COLUMN = "N"
ERROR_HEADER = "错误信息"
MEMBER_SHEET = "会员信息"
GUIDE_SHEET = "填写说明"


@dataclass(frozen=True)
class HeaderField:
    """One label/value pair of the header block on row 3."""

    key: str
    label: str
    label_column: str
    value_column: str

    @property
    def field(self) -> str:
        return self.label.lstrip("*")


HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("union_name", "*工会名称", "A", "B"),
    HeaderField("income_code", "*职工平均月收入", "F", "G"),
    HeaderField("unit_type", "*单位类型", "H", "I"),
    HeaderField("branch_code", "*领卡网点", "J", "K"),
    HeaderField("transport_card", "*是否加载交通卡", "L", "M"),
)


@dataclass(frozen=True)
class Column:
    """One member column on row 4."""

    key: str
    label: str
    letter: str

    @property
    def field(self) -> str:
        return self.label.lstrip("*")

    @property
    def index(self) -> int:
        """0-based position in a row."""
        return ord(self.letter) - ord("A")


COLUMNS: tuple[Column, ...] = tuple(
    Column(key, label, chr(ord("A") + i))
    for i, (key, label) in enumerate(
        (
            ("seq", "序号"),
            ("name", "*姓名"),
            ("id_type", "证件类型"),
            ("id_number", "*证件号码"),
            ("id_expiry", "证件到期日"),
            ("country", "国家/地区"),
            ("gender", "性别"),
            ("birth_date", "出生日期"),
            ("mobile", "*手机号码"),
            ("work_address", "工作单位详细地址"),
            ("join_date", "入会时间"),
            ("wants_card", "是否办理会员服务卡"),
            ("remark", "备注"),
        )
    )
)
COLUMN_LABELS: tuple[str, ...] = tuple(c.label for c in COLUMNS)
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
FIELD_BY_LETTER: dict[str, str] = {c.letter: c.field for c in COLUMNS} | {
    h.value_column: h.field for h in HEADER_FIELDS
}
WIDTH = len(COLUMNS)  # A..M

INCOME_BANDS: dict[int, str] = {
    1: "0-4999",
    2: "5000-19999",
    3: "20000-49999",
    4: "50000-99999",
    5: "100000以上",
}
UNIT_TYPES: dict[str, str] = {"34": "机关事业单位", "60": "企业", "39": "其他"}
YES, NO = "是", "否"
GENDERS = ("男", "女")

_TEXT_COLUMNS = ("D", "I")  # long digit strings Excel would turn into numbers
_DATE_COLUMNS = ("E", "H", "K")
COLUMN_WIDTHS: dict[str, int] = dict(
    zip("ABCDEFGHIJKLM", (6, 12, 16, 22, 13, 11, 7, 13, 15, 30, 13, 12, 18), strict=True)
)
_TEMPLATE_ROWS = 5000  # rows given drop-downs and formats in the template

_BOLD = Font(bold=True)
_RED_BOLD = Font(bold=True, color="FFC00000")
_THIN = Side(style="thin", color="FF999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LABEL_FILL = PatternFill("solid", fgColor="FFDDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def guide_lines(branches: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The rows of the 填写说明 sheet (also used in tests)."""
    lines: list[tuple[str, ...]] = [
        ("填写说明",),
        (
            "1. 请勿修改、删减表头信息或格式：第1行“附件2”、第3行表头、第4行列名都不能改动，最右列为M列。",
        ),
        (
            "2. 带*号的为必填项。工会名称须与系统内登记的工会全称完全一致（此处为工会名称，非单位名称），前后不要留空格。",
        ),
        ("3. 职工平均月收入按档次填写数字1-5：",),
    ]
    lines += [(f"    {code}：{band}",) for code, band in INCOME_BANDS.items()]
    lines.append(("4. 单位类型：",))
    lines += [(f"    {code}：{name}",) for code, name in UNIT_TYPES.items()]
    lines += [
        ("5. 证件类型请从下拉列表选择，不填视为身份证：" + "、".join(ID_TYPES),),
        (
            "6. 身份证号码须为18位，不要把数字“0”写成字母“O”；非身份证时性别、出生日期、证件类型、国家/地区必填。",
        ),
        ("7. 手机号码须为11位数字，互相不能重复；不要粘贴公式（如VLOOKUP），请“粘贴为值”。",),
        ("8. 工作单位详细地址：办理会员服务卡时必填，请填写6至20个汉字。",),
        ("9. 日期请按2030-01-31格式填写；是否办理会员服务卡、是否加载交通卡填写“是”或“否”。",),
        ("10. 领卡网点请在银行工作人员指导下填写下表中的网点编号：",),
        ("网点编号", "网点名称"),
    ]
    lines += [(code, name) for code, name in branches]
    return lines


def build_template(union_name: str, branches: list[tuple[str, str]]) -> bytes:
    """The xlsx template for one union, with its name filled in and the branch list."""
    wb = Workbook()
    ws = wb.active
    ws.title = MEMBER_SHEET
    ws[TITLE_CELL] = TITLE_TEXT
    ws["A2"] = CAPTION_TEXT
    ws.merge_cells(f"A{CAPTION_ROW}:{LAST_COLUMN}{CAPTION_ROW}")
    ws["A2"].font = Font(bold=True, size=16)
    ws["A2"].alignment = _CENTER
    ws.row_dimensions[CAPTION_ROW].height = 30

    for h in HEADER_FIELDS:
        label = ws[f"{h.label_column}{HEADER_BLOCK_ROW}"]
        label.value = h.label
        label.font = _RED_BOLD
        label.fill = _LABEL_FILL
        label.alignment = _CENTER
        value = ws[f"{h.value_column}{HEADER_BLOCK_ROW}"]
        value.number_format = "@"
        value.alignment = _CENTER
    ws.merge_cells(f"B{HEADER_BLOCK_ROW}:E{HEADER_BLOCK_ROW}")
    ws[f"B{HEADER_BLOCK_ROW}"] = union_name
    ws["G3"].comment = Comment(
        "按档次填写1-5：" + "；".join(f"{k}={v}" for k, v in INCOME_BANDS.items()), "系统"
    )
    ws["I3"].comment = Comment("；".join(f"{k}={v}" for k, v in UNIT_TYPES.items()), "系统")
    ws["K3"].comment = Comment("填写银行提供的网点编号，见“填写说明”", "系统")
    ws.row_dimensions[HEADER_BLOCK_ROW].height = 30

    for col in COLUMNS:
        cell = ws[f"{col.letter}{HEADER_ROW}"]
        cell.value = col.label
        cell.font = _RED_BOLD if col.label.startswith("*") else _BOLD
        cell.fill = _LABEL_FILL
        cell.border = _BOX
        cell.alignment = _CENTER
        ws.column_dimensions[col.letter].width = COLUMN_WIDTHS[col.letter]
        if col.letter in _TEXT_COLUMNS:
            ws.column_dimensions[col.letter].number_format = "@"
        elif col.letter in _DATE_COLUMNS:
            ws.column_dimensions[col.letter].number_format = "yyyy-mm-dd"
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"

    last = FIRST_DATA_ROW + _TEMPLATE_ROWS - 1
    _add_list(ws, ID_TYPES, f"C{FIRST_DATA_ROW}:C{last}")
    _add_list(ws, GENDERS, f"G{FIRST_DATA_ROW}:G{last}")
    _add_list(ws, (YES, NO), f"L{FIRST_DATA_ROW}:L{last}")
    _add_list(ws, (YES, NO), f"M{HEADER_BLOCK_ROW}")
    _add_list(ws, tuple(str(k) for k in INCOME_BANDS), f"G{HEADER_BLOCK_ROW}")
    _add_list(ws, tuple(UNIT_TYPES), f"I{HEADER_BLOCK_ROW}")

    guide = wb.create_sheet(GUIDE_SHEET)
    lines = guide_lines(branches)
    for line in lines:
        guide.append(line)
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 40
    guide["A1"].font = Font(bold=True, size=14)
    if branches:
        first = len(lines) - len(branches) + 1
        guide[f"A{first - 1}"].font = _BOLD
        guide[f"B{first - 1}"].font = _BOLD
        dv = DataValidation(
            type="list",
            formula1=f"'{GUIDE_SHEET}'!$A${first}:$A${len(lines)}",
            allow_blank=False,
        )
        ws.add_data_validation(dv)
        dv.add(f"K{HEADER_BLOCK_ROW}")

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _add_list(ws, options: tuple[str, ...], cells: str) -> None:
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(options) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="填写错误",
        error="请从下拉列表中选择",
    )
    ws.add_data_validation(dv)
    dv.add(cells)
