"""The import engine on whole workbooks: header block, structure, chunks, limits."""

from __future__ import annotations

from datetime import date

import pytest

from unioncard.imports import engine
from unioncard.imports.engine import (
    CellError,
    ExistingMember,
    UnionContext,
    UploadLimits,
    UploadRejected,
    validate_import,
)
from unioncard.imports.filecheck import inspect_upload
from unioncard.members.idcard import ID_TYPES
from unioncard.security.masking import mask_mobile

from .xlsx_factory import (
    ADDRESS_INVALID,
    BIRTH_REQUIRED,
    COUNTRY_REQUIRED,
    HEADER_INCOMPLETE,
    ID_INVALID,
    ID_LENGTH,
    ID_LETTER_O,
    TYPE_REQUIRED,
    UNION,
    UNION_CTX,
    FakeLookups,
    build,
    id_for,
    member,
    mobile_for,
    run,
    with_cached_value,
)

# --- a clean file -------------------------------------------------------------------------


def test_clean_file_counts_and_normalised_values():
    data = build(
        [
            member(1, name="\u3000 王小明 ", id_number=" " + id_for(1).lower() + " "),
            member(
                2,
                name="𠮷田",
                id_type="",
                id_number="".join(chr(ord(c) + 0xFEE0) for c in id_for(2)),
                mobile="１３８００００００９９",
            ),
            member(3, name="阿依古丽·买买提", mobile=13900000003, wants_card="否", work_address=""),
            member(
                4,
                id_type="护照",
                id_number="e12345678",
                country="美国",
                gender="男",
                birth_date="1990/1/31",
                id_expiry="2030-01-31",
                join_date="20200301",
                remark="外籍",
            ),
        ]
    )
    result, outcomes, _ = run(data)
    assert result.header_errors == []
    assert (result.total, result.valid, result.invalid) == (4, 4, 0)
    assert result.ok
    a, b, c, d = (o.member for o in outcomes)
    assert [o.row for o in outcomes] == [5, 6, 7, 8]
    assert (a.name, a.id_number, a.gender, a.birth_date, a.country) == (
        "王小明",
        id_for(1).upper(),
        "男" if int(id_for(1)[16]) % 2 else "女",
        date(1984, 5, 31),
        "中国",
    )
    assert a.id_type == "身份证" and a.wants_card is True
    assert a.work_address == "深圳市福田区深南大道1001号"
    assert a.join_date == date(2020, 3, 1)
    assert (b.name, b.id_type, b.id_number, b.mobile) == (
        "𠮷田",
        "身份证",
        id_for(2),
        "13800000099",
    )
    assert (c.name, c.mobile, c.wants_card, c.work_address) == (
        "阿依古丽·买买提",
        "13900000003",
        False,
        "",
    )
    assert (d.id_type, d.id_number, d.country, d.gender, d.birth_date) == (
        "护照",
        "E12345678",
        "美国",
        "男",
        date(1990, 1, 31),
    )
    assert (d.id_expiry, d.join_date, d.remark) == (date(2030, 1, 31), date(2020, 3, 1), "外籍")


def test_header_values_are_read():
    result, _, _ = run(build([member(1)], header={"G3": 3.0, "I3": 34, "M3": "否"}))
    assert result.header_errors == []
    h = result.header
    assert (h.union_name, h.income_code, h.unit_type, h.branch_code, h.transport_card) == (
        UNION,
        3,
        "34",
        "44301",
        False,
    )


# --- structure and header block -----------------------------------------------------------


def test_title_row_missing_stops_everything():
    def delete_row_1(ws):
        ws.delete_rows(1)

    result, outcomes, chunks = run(build([member(1), member(2)], edit=delete_row_1))
    assert CellError(1, "A", "表头", HEADER_INCOMPLETE) in result.header_errors
    assert chunks == [] and outcomes == []
    assert (result.total, result.valid, result.invalid) == (0, 0, 0)
    assert result.structure_broken and not result.ok


def test_title_text_changed():
    result, outcomes, _ = run(build([member(1)], header={"A1": "附件3"}))
    assert result.header_errors == [CellError(1, "A", "表头", HEADER_INCOMPLETE)]
    assert outcomes == []


def test_column_header_altered():
    result, outcomes, _ = run(build([member(1)], header={"D4": "身份证号码"}))
    assert result.header_errors == [CellError(4, "D", "表头", HEADER_INCOMPLETE)]
    assert outcomes == []


def test_column_inserted_moves_the_headers():
    result, outcomes, _ = run(build([member(1)], edit=lambda ws: ws.insert_cols(3)))
    assert outcomes == []
    assert {e.column for e in result.header_errors if e.row == 4} >= set("CDEFGHIJKLMN")
    assert all(e.message == HEADER_INCOMPLETE for e in result.header_errors)


def test_extra_column_after_m_is_rejected_but_the_error_column_is_allowed():
    result, outcomes, _ = run(build([member(1)], header={"N4": "错误信息", "N5": "旧的错误"}))
    assert result.header_errors == [] and len(outcomes) == 1 and outcomes[0].ok
    result, outcomes, _ = run(build([member(1)], header={"N4": "部门"}))
    assert result.header_errors == [CellError(4, "N", "表头", HEADER_INCOMPLETE)]


@pytest.mark.parametrize(
    "ref, value, field, message",
    [
        ("B3", "深圳市测试科技有限公司", "工会名称", "工会名称不匹配！"),
        ("B3", "深圳市测试科技有限公司工会委员会 1", "工会名称", "工会名称不匹配！"),
        ("G3", "6", "职工平均月收入", "职工平均月收入编码错误！"),
        ("G3", "5000-19999", "职工平均月收入", "职工平均月收入编码错误！"),
        ("I3", "企业", "单位类型", "单位类型填写错误！"),
        ("I3", 35, "单位类型", "单位类型填写错误！"),
        ("K3", "99999", "领卡网点", "无效的领卡网点！"),
        ("M3", "Y", "是否加载交通卡", "是否加载交通卡请填写【是】或【否】！"),
        ("B3", None, "工会名称", HEADER_INCOMPLETE),
        ("G3", None, "职工平均月收入", HEADER_INCOMPLETE),
        ("I3", "  ", "单位类型", HEADER_INCOMPLETE),
        ("K3", None, "领卡网点", HEADER_INCOMPLETE),
        ("M3", None, "是否加载交通卡", HEADER_INCOMPLETE),
    ],
)
def test_header_value_errors_at_their_cells_rows_still_checked(ref, value, field, message):
    result, outcomes, _ = run(build([member(1), member(2, name="")], header={ref: value}))
    assert result.header_errors == [CellError(3, ref[0], field, message)]
    assert result.total == 2 and result.valid == 1 and result.invalid == 1
    assert not result.ok


@pytest.mark.parametrize("name", [f"  {UNION}\u3000", f"\u3000{UNION}", f"{UNION}\u00a0"])
def test_union_name_surrounding_blanks_are_trimmed(name):
    result, _, _ = run(build([member(1)], header={"B3": name}))
    assert result.header_errors == []
    assert result.header.union_name == UNION


def test_income_code_given_as_a_number():
    result, _, _ = run(build([member(1)], header={"G3": 1.0}))
    assert result.header_errors == [] and result.header.income_code == 1


# --- whole files ----------------------------------------------------------------------------


def test_every_kind_of_mistake_at_once():
    bad_check = id_for(3)[:17] + ("1" if id_for(3)[17] != "1" else "2")
    rows = [
        member(1),
        member(2, name=None),
        member(3, id_number=bad_check, id_type=None),
        member(4, id_number=id_for(4)[:10]),
        member(5, id_number="44O304198405317" + "12X"),
        member(6, id_type="驾驶证"),
        member(7, id_type="护照", id_number="P1"),
        member(8, mobile="123"),
        member(9, id_number=id_for(1)),
        member(10, mobile=mobile_for(1)),
        member(11, work_address="福田"),
        member(12, id_expiry="2020-01-01"),
        member(13),  # in the database, this union
        member(14),  # mobile in the database
        member(15, gender="未知"),
    ]
    lookups = FakeLookups(
        ids={id_for(13): ExistingMember("张四", 3, UNION)}, mobiles={mobile_for(14)}
    )
    data = build(rows, header={"B3": "别的工会", "G3": 9})
    result, outcomes, _ = run(data, lookups)
    assert [(e.row, e.column) for e in result.header_errors] == [(3, "B"), (3, "G")]
    got = {(e.row, e.column, e.message) for o in outcomes for e in o.errors}
    expected = {
        (6, "B", "姓名不能为空！"),
        (7, "C", TYPE_REQUIRED),
        (7, "D", ID_INVALID),
        (7, "F", COUNTRY_REQUIRED),
        (7, "H", BIRTH_REQUIRED),
        (8, "D", ID_LENGTH),
        (8, "F", COUNTRY_REQUIRED),
        (8, "H", BIRTH_REQUIRED),
        (9, "D", ID_LETTER_O),
        (9, "F", COUNTRY_REQUIRED),
        (9, "H", BIRTH_REQUIRED),
        (10, "C", "证件类型填写错误，请填写：" + "、".join(ID_TYPES)),
        (11, "F", COUNTRY_REQUIRED),
        (11, "G", "非居民身份证时，性别必填！"),
        (11, "H", BIRTH_REQUIRED),
        (12, "I", "手机号码：***为无效手机号，请填写长度为11位数字的有效手机号码。"),
        (13, "D", "同第5行的张二证件号码相同。"),
        (14, "I", "同第5行的张二手机号码相同。"),
        (15, "J", ADDRESS_INVALID),
        (16, "E", "证件已过期，请核对证件到期日！"),
        (17, "D", f"该证件号码在【{UNION}】中已存在！"),
        (18, "I", f"手机号码：{mask_mobile(mobile_for(14))}已被其他会员使用，请核对！"),
        (19, "G", "性别请填写【男】或【女】！"),
    }
    assert got == expected
    assert (result.total, result.valid, result.invalid) == (15, 1, 14)
    assert outcomes[0].member is not None and all(o.member is None for o in outcomes[1:])
    for outcome in outcomes:  # errors of a row come in column order
        assert [e.column for e in outcome.errors] == sorted(e.column for e in outcome.errors)


def test_chunks_duplicates_across_chunks_and_one_lookup_per_chunk():
    rows = [member(n) for n in range(1, 11)]
    rows[8] = member(9, id_number=id_for(2))  # row 13 repeats row 6's ID
    rows[9] = member(10, mobile=mobile_for(1))  # row 14 repeats row 5's mobile
    lookups = FakeLookups(ids={id_for(7): ExistingMember(member(7)["name"], 1, "别的工会")})
    result, outcomes, chunks = run(build(rows), lookups, chunk_size=3)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert [o.row for o in outcomes] == list(range(5, 15))
    assert lookups.id_calls == [  # once per chunk; an in-file duplicate is not asked again
        [id_for(1), id_for(2), id_for(3)],
        [id_for(4), id_for(5), id_for(6)],
        [id_for(7), id_for(8)],
        [id_for(10)],
    ]
    # the last chunk's only mobile repeats row 5's: nothing to ask, no call
    assert lookups.mobile_calls == [
        [mobile_for(n) for n in (1, 2, 3)],
        [mobile_for(n) for n in (4, 5, 6)],
        [mobile_for(n) for n in (7, 8, 9)],
    ]
    errors = {(e.row, e.message) for o in outcomes for e in o.errors}
    assert errors == {
        (11, "该会员身份证已存在于其他工会"),
        (13, f"同第6行的{member(2)['name']}证件号码相同。"),
        (14, f"同第5行的{member(1)['name']}手机号码相同。"),
    }
    assert (result.total, result.valid, result.invalid) == (10, 7, 3)


def test_blank_rows_are_skipped_and_not_counted():
    rows = [member(1), None, None, {"seq": 4}, {"name": "  ", "remark": "\u3000"}, member(6)]
    result, outcomes, _ = run(build(rows))
    assert [o.row for o in outcomes] == [5, 10]
    assert (result.total, result.valid, result.invalid) == (2, 2, 0)


def test_no_lookup_for_a_chunk_without_well_formed_values():
    lookups = FakeLookups()
    result, outcomes, _ = run(build([member(1, id_number="123", mobile="1")]), lookups)
    assert lookups.id_calls == [] and lookups.mobile_calls == []
    assert result.invalid == 1


def test_too_many_rows():
    rows = [member(n) for n in range(1, 7)]
    with pytest.raises(UploadRejected) as exc:
        validate_import(build(rows), UNION_CTX, FakeLookups(), limits=UploadLimits(max_rows=5))
    assert "5" in exc.value.message and "最多" in exc.value.message


def test_rows_limit_counts_members_not_blank_rows():
    rows = [member(1), None, member(3), None, None, member(6), {"seq": 7}, {"seq": 8}]
    result, outcomes, _ = run(build(rows), limits=UploadLimits(max_rows=3))
    assert result.total == 3


def test_chunks_run_once():
    result = validate_import(build([member(1)]), UNION_CTX, FakeLookups(), limits=UploadLimits())
    list(result.chunks())
    with pytest.raises(RuntimeError):
        list(result.chunks())


def test_rejected_upload_is_raised_before_any_row():
    with pytest.raises(UploadRejected):
        validate_import(b"not a workbook", UNION_CTX, FakeLookups(), limits=UploadLimits())


def test_context_union_name_with_blanks_still_matches():
    ctx = UnionContext(f" {UNION} ", UNION_CTX.branch_codes)
    result = validate_import(build([member(1)]), ctx, FakeLookups(), limits=UploadLimits())
    assert result.header_errors == []


def test_cyclic_gc_paused_for_a_pass_and_restored_after_it_even_on_error():
    import gc

    from unioncard.imports.engine import cyclic_gc_paused

    assert gc.isenabled()

    @cyclic_gc_paused()
    def a_pass(fail: bool):
        assert not gc.isenabled()
        if fail:
            raise RuntimeError("stop")
        return "done"

    assert a_pass(False) == "done" and gc.isenabled()
    with pytest.raises(RuntimeError):
        a_pass(True)
    assert gc.isenabled()
    gc.disable()  # someone else paused it: left as it was
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- a stored upload (checked when it was uploaded) ----------------------------------------


def test_first_chunk_is_a_small_one_then_chunk_size(monkeypatch):
    monkeypatch.setattr(engine, "FIRST_CHUNK", 2)
    _, outcomes, chunks = run(build([member(n) for n in range(1, 11)]), chunk_size=3)
    assert [len(c) for c in chunks] == [2, 3, 3, 2]
    assert [o.row for o in outcomes] == list(range(5, 15))


def test_a_checked_upload_gets_the_same_answer_formulas_included():
    def paste_formula(ws):
        ws["I6"] = "=VLOOKUP(B6,A1:D9,4,0)"

    data = with_cached_value(build([member(1), member(2)], edit=paste_formula), "I6", "13912345678")
    answers = []
    for checked in (False, True):
        _, outcomes, _ = run(data, checked=checked)
        answers.append([(e.row, e.column, e.message) for o in outcomes for e in o.errors])
    assert answers[0] == answers[1]
    assert [(row, column) for row, column, _ in answers[1]] == [(6, "I")]
    assert "该单元格为公式" in answers[1][0][2]


@pytest.mark.parametrize("checked", [False, True])
def test_the_inspection_still_decides_for_a_checked_upload(checked):
    """Beside calamine's parse, the inspection's rejection is still the answer, for a file
    calamine alone would read (here: bigger than the limits allow once inflated)."""
    data = build([member(n) for n in range(1, 4)])
    tight = UploadLimits(max_uncompressed_bytes=1024)
    with pytest.raises(UploadRejected) as exc:
        validate_import(data, UNION_CTX, FakeLookups(), limits=tight, checked=checked)
    assert exc.value.message == inspect_rejection(data, tight)
    with pytest.raises(UploadRejected) as exc:  # one that neither can read
        validate_import(
            b"not a zip", UNION_CTX, FakeLookups(), limits=UploadLimits(), checked=checked
        )
    assert exc.value.message == inspect_rejection(b"not a zip", UploadLimits())


def inspect_rejection(data: bytes, limits: UploadLimits) -> str:
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(data, limits)
    return exc.value.message
