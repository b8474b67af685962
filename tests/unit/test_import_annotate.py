"""The import template and the annotated workbook, read back with openpyxl."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from unioncard.imports.annotate import ERROR_FILL_COLOR, annotate_workbook
from unioncard.imports.engine import CellError
from unioncard.imports.template import COLUMN_LABELS, HEADER_FIELDS, HEADER_ROW, build_template
from unioncard.members.idcard import ID_TYPES

from .xlsx_factory import BRANCHES, UNION, FakeLookups, build, id_for, member, run


def load(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_template_layout():
    wb = load(build_template(UNION, BRANCHES))
    ws, guide = wb.worksheets
    assert ws["A1"].value == "附件2" and ws["A2"].value == "工会会员信息采集汇总表"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A2:M2", "B3:E3"}
    assert ws["B3"].value == UNION
    assert [ws[f"{h.label_column}3"].value for h in HEADER_FIELDS] == [
        "*工会名称",
        "*职工平均月收入",
        "*单位类型",
        "*领卡网点",
        "*是否加载交通卡",
    ]
    assert tuple(c.value for c in ws[HEADER_ROW]) == COLUMN_LABELS
    assert COLUMN_LABELS[-1] == "备注" and len(COLUMN_LABELS) == 13  # the rightmost column is M
    assert ws.column_dimensions["D"].number_format == "@"
    assert ws.column_dimensions["I"].number_format == "@"
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["C5"] == '"' + ",".join(ID_TYPES) + '"'
    assert lists["G5"] == '"男,女"' and lists["L5"] == '"是,否"' and lists["M3"] == '"是,否"'
    assert lists["K3"].startswith("'填写说明'!$A$")
    text = "\n".join(
        " ".join(str(v) for v in row if v) for row in guide.iter_rows(values_only=True)
    )
    for needle in ("请勿修改、删减表头信息或格式", "1：0-4999", "5：100000以上", "34：机关事业单位",
                   "60：企业", "39：其他", "、".join(ID_TYPES), "44301 中国银行深圳福田支行",
                   "44302 中国银行深圳南山支行", "6至20个汉字"):  # fmt: skip
        assert needle in text, needle


def annotated(data: bytes, lookups: FakeLookups | None = None):
    result, outcomes, _ = run(data, lookups)
    errors = list(result.header_errors) + [e for o in outcomes for e in o.errors]
    return load(annotate_workbook(data, errors)).worksheets[0], errors


def test_annotated_workbook_marks_cells_and_lists_messages():
    data = build(
        [member(1), member(2, name=None, mobile="123"), None, member(4, id_number=id_for(1))],
        header={"B3": "别的工会"},
    )
    ws, _ = annotated(data)
    assert ws.max_row == 8 and ws.max_column == 14
    assert ws["N4"].value == "错误信息"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A2:M2", "B3:E3"}
    # header block error at its cell
    assert ws["B3"].fill.fgColor.rgb == ERROR_FILL_COLOR
    assert ws["B3"].comment.text == "工会名称不匹配！"
    assert ws["N3"].value == "工会名称不匹配！"
    # row 6: two bad cells, both messages in N
    assert ws["B6"].fill.fgColor.rgb == ERROR_FILL_COLOR
    assert ws["B6"].comment.text == "姓名不能为空！"
    assert ws["I6"].fill.fgColor.rgb == ERROR_FILL_COLOR and ws["I6"].value == "123"
    assert ws["N6"].value == (
        "姓名不能为空！；手机号码：***为无效手机号，请填写长度为11位数字的有效手机号码。"
    )
    assert ws["D8"].comment.text == f"同第5行的{member(1)['name']}证件号码相同。"
    # clean cells and rows are copied untouched
    assert ws["D5"].value == id_for(1) and ws["D5"].fill.fgColor.rgb != ERROR_FILL_COLOR
    assert ws["D5"].comment is None and ws["N5"].value is None
    assert ws["A7"].value is None and ws["N7"].value is None  # the blank row stays in place
    assert ws["K5"].value == "2020-03-01"  # dates are copied as text


def test_annotated_copy_can_be_uploaded_again():
    data = build([member(1), member(2, mobile="123")])
    first, errors = annotated(data)
    out = io.BytesIO()
    first.parent.save(out)
    result, outcomes, _ = run(out.getvalue())
    assert result.header_errors == []
    assert [(e.row, e.column, e.message) for o in outcomes for e in o.errors] == [
        (e.row, e.column, e.message) for e in errors
    ]
    again, _ = annotated(out.getvalue())  # the old message column is replaced, not repeated
    assert again.max_column == 14 and again["N6"].value == errors[0].message


def test_annotated_structure_error_and_text_that_looks_like_a_formula():
    def text_with_equals(ws):
        ws["M5"] = "=1+1"
        ws["M5"].data_type = "s"  # typed as text, e.g. after a leading apostrophe

    data = build([member(1)], header={"A1": "附件3"}, edit=text_with_equals)
    ws, errors = annotated(data)
    assert errors == [CellError(1, "A", "表头", "请把表头内容填写完整！")]
    assert (
        ws["A1"].fill.fgColor.rgb == ERROR_FILL_COLOR and ws["N1"].value == "请把表头内容填写完整！"
    )
    assert ws["M5"].value == "=1+1" and ws["M5"].data_type == "s"


def test_annotate_a_longer_file():
    """3,000 rows rendered in batches; the one bad cell keeps its comment and fill."""
    rows = [member(n) for n in range(3000)]
    rows[2999]["mobile"] = "1"
    ws, errors = annotated(build(rows))
    assert errors == [
        CellError(
            3004, "I", "手机号码", "手机号码：*为无效手机号，请填写长度为11位数字的有效手机号码。"
        )
    ]
    assert ws.max_row == 3004 and ws["I3004"].fill.fgColor.rgb == ERROR_FILL_COLOR
    assert ws["I3004"].comment.text == errors[0].message
    assert ws["B3003"].value == member(2998)["name"] and ws["I3003"].comment is None


def test_whole_row_errors_and_rows_past_the_end():
    data = build([member(1)])
    errors = [
        CellError(5, "", "", "整行有误"),
        CellError(9, "B", "姓名", "第9行"),
        CellError(5, "ZZ", "?", "超出范围的列"),
    ]
    ws = load(annotate_workbook(data, errors)).worksheets[0]
    assert ws["N5"].value == "整行有误；超出范围的列" and ws["A5"].comment is None
    assert ws["B9"].comment.text == "第9行" and ws["N9"].value == "第9行"
    assert ws["D5"].value == id_for(1)
