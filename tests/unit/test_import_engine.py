"""The import engine on real workbooks: one test per rule, with the exact seed-004 wording."""

from __future__ import annotations

import io
from datetime import date

import pytest

from unioncard.imports.annotate import ERROR_FILL_COLOR, annotate_workbook
from unioncard.imports.engine import (
    CellError,
    ExistingMember,
    UnionContext,
    UploadLimits,
    UploadRejected,
    validate_import,
)
from unioncard.imports.template import COLUMN_LABELS, HEADER_FIELDS, HEADER_ROW, build_template
from unioncard.members.idcard import ID_TYPES

from .xlsx_factory import (
    BRANCHES,
    TODAY,
    UNION,
    UNION_CTX,
    FakeLookups,
    build,
    id_for,
    make_id,
    member,
    mobile_for,
    with_cached_value,
)

ID_INVALID = '身份证号码无效，请核对身份证原件,并检查所填数据中是否存在字母"O"！'
ID_LENGTH = "身份证号码格式错误，请填写18位正确的身份证号码！"
ID_LETTER_O = '身份证号码中含有字母"O"，请将其改为数字"0"！'
COUNTRY_REQUIRED = "证件号码无效或者为非居民身份证时，国家/地区必填！"
TYPE_REQUIRED = "证件号码无效或者为非居民身份证时，证件类型必填！"
BIRTH_REQUIRED = "证件号码无效或者为非居民身份证时，出生日期必填！"
HEADER_INCOMPLETE = "请把表头内容填写完整！"


def run(data: bytes, lookups: FakeLookups | None = None, **kwargs):
    lookups = lookups if lookups is not None else FakeLookups()
    kwargs.setdefault("limits", UploadLimits())
    result = validate_import(data, UNION_CTX, lookups, today=TODAY, **kwargs)
    chunks = list(result.chunks())
    return result, [outcome for chunk in chunks for outcome in chunk], chunks


def errors_of(data: bytes, lookups: FakeLookups | None = None) -> list[tuple[int, str, str]]:
    result, outcomes, _ = run(data, lookups)
    return [(e.row, e.column, e.message) for o in outcomes for e in o.errors]


def only_error(**overrides) -> tuple[int, str, str]:
    """The single error of a file whose one member row has ``overrides``."""
    errors = errors_of(build([member(1, **overrides)]))
    assert len(errors) == 1, errors
    return errors[0]


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


# --- member rows: one rule each -------------------------------------------------------------


def test_name_required():
    assert only_error(name="  ") == (5, "B", "姓名不能为空！")


def test_id_not_18_characters():
    assert only_error(
        id_number=id_for(1)[:17], id_type="身份证", country="中国", birth_date="1984-05-31"
    ) == (
        5,
        "D",
        ID_LENGTH,
    )


def test_id_with_letter_o():
    number = id_for(1)
    assert only_error(
        id_number=number[:6] + "O" + number[7:],
        country="中国",
        birth_date="1984-05-31",
    ) == (5, "D", ID_LETTER_O)


def test_id_bad_check_digit():
    number = id_for(1)
    bad = number[:17] + ("1" if number[17] != "1" else "2")
    assert only_error(id_number=bad, country="中国", birth_date="1984-05-31") == (
        5,
        "D",
        ID_INVALID,
    )


@pytest.mark.parametrize("birth", ["19990229", "20300101"])
def test_id_impossible_or_future_birth_date(birth):
    number = make_id(birth=birth)
    assert only_error(id_number=number, country="中国", birth_date="1990-01-01") == (
        5,
        "D",
        ID_INVALID,
    )


def test_id_turned_into_a_number_by_excel():
    assert only_error(id_number=1.23e17, country="中国", birth_date="1984-05-31") == (
        5,
        "D",
        ID_LENGTH,
    )


def test_invalid_resident_id_without_country_type_birth():
    number = id_for(1)[:17] + ("1" if id_for(1)[17] != "1" else "2")
    errors = errors_of(build([member(1, id_type=None, id_number=number)]))
    assert errors == [
        (5, "C", TYPE_REQUIRED),
        (5, "D", ID_INVALID),
        (5, "F", COUNTRY_REQUIRED),
        (5, "H", BIRTH_REQUIRED),
    ]


def test_non_resident_id_requires_country_birth_gender():
    errors = errors_of(build([member(1, id_type="护照", id_number="E12345678")]))
    assert errors == [
        (5, "F", COUNTRY_REQUIRED),
        (5, "G", "非居民身份证时，性别必填！"),
        (5, "H", BIRTH_REQUIRED),
    ]


def test_id_type_not_in_the_list():
    message = "证件类型填写错误，请填写：" + "、".join(ID_TYPES)
    assert message.endswith("台湾居民来往大陆通行证、其他")
    assert only_error(id_type="驾驶证") == (5, "C", message)


def test_id_type_with_half_width_brackets_is_accepted():
    data = build(
        [
            member(
                1,
                id_type="港澳居民来往内地通行证(香港)",
                id_number="H12345678",
                country="中国香港",
                gender="女",
                birth_date=date(1990, 1, 31),
            )
        ]
    )
    result, outcomes, _ = run(data)
    assert outcomes[0].member.id_type == "港澳居民来往内地通行证（香港）"


def test_gender_and_birth_date_contradicting_the_id():
    number = make_id(seq="711")  # male, born 1984-05-31
    errors = errors_of(build([member(1, id_number=number, gender="女", birth_date="1984-06-01")]))
    assert errors == [
        (5, "G", "性别与身份证号码不一致！"),
        (5, "H", "出生日期与身份证号码不一致！"),
    ]


def test_gender_and_birth_date_agreeing_with_the_id():
    number = make_id(seq="711")
    result, outcomes, _ = run(
        build([member(1, id_number=number, gender="男", birth_date=date(1984, 5, 31))])
    )
    assert outcomes[0].ok and outcomes[0].member.gender == "男"


def test_gender_must_be_male_or_female():
    assert only_error(gender="M") == (5, "G", "性别请填写【男】或【女】！")


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(2030, 1, 31), date(2030, 1, 31)),
        ("2030-01-31", date(2030, 1, 31)),
        ("2030/1/31", date(2030, 1, 31)),
        ("20300131", date(2030, 1, 31)),
        (20300131, date(2030, 1, 31)),
        ("2030年1月31日", date(2030, 1, 31)),
        ("长期", None),
    ],
)
def test_id_expiry_accepted_forms(value, expected):
    result, outcomes, _ = run(build([member(1, id_expiry=value)]))
    assert outcomes[0].ok, outcomes[0].errors
    assert outcomes[0].member.id_expiry == expected


@pytest.mark.parametrize("value", ["2030-02-30", "明年", "31/01/2030", 47514])
def test_id_expiry_format(value):
    assert only_error(id_expiry=value) == (5, "E", "证件到期日格式错误，请填写如2030-01-31的日期！")


def test_id_expired():
    assert only_error(id_expiry="2026-01-14") == (5, "E", "证件已过期，请核对证件到期日！")


def test_birth_date_format():
    errors = errors_of(
        build(
            [
                member(
                    1,
                    id_type="护照",
                    id_number="E1",
                    country="美国",
                    gender="男",
                    birth_date="1990年13月1日",
                )
            ]
        )
    )
    assert errors == [(5, "H", "出生日期格式错误，请填写如1990-01-31的日期！")]


def test_join_date_format():
    assert only_error(join_date="去年") == (5, "K", "入会时间格式错误，请填写如2020-01-31的日期！")


def test_mobile_invalid():
    assert only_error(mobile="1381234") == (
        5,
        "I",
        "手机号码：1381234为无效手机号，请填写长度为11位数字的有效手机号码。",
    )
    assert only_error(mobile="12812345678")[2] == (
        "手机号码：12812345678为无效手机号，请填写长度为11位数字的有效手机号码。"
    )


def test_mobile_required():
    assert only_error(mobile=None) == (5, "I", "手机号码不能为空！")


def test_mobile_from_a_number_cell():
    result, outcomes, _ = run(build([member(1, mobile=13812345678.0)]))
    assert outcomes[0].member.mobile == "13812345678"


def test_mobile_formula_even_with_a_plausible_cached_value():
    formula = "VLOOKUP(B7,'[1]160318'!$A$1:$D$65536,4,0)"

    def paste_formula(ws):
        ws["I7"] = "=" + formula

    data = with_cached_value(
        build([member(1), member(2), member(3)], edit=paste_formula), "I7", "13912345678"
    )
    errors = errors_of(data)
    assert errors == [
        (
            7,
            "I",
            f"手机号码：{formula}为无效手机号，请填写长度为11位数字的有效手机号码。"
            "（该单元格为公式，请复制后粘贴为值）",
        )
    ]


def test_duplicate_id_in_the_file():
    data = build([member(1, name="李雷"), member(2), member(3, id_number=id_for(1).lower())])
    assert errors_of(data) == [(7, "D", "同第5行的李雷证件号码相同。")]


def test_duplicate_mobile_in_the_file():
    data = build([member(1), member(2, name="韩梅梅"), member(3, mobile=mobile_for(2))])
    assert errors_of(data) == [(7, "I", "同第6行的韩梅梅手机号码相同。")]


def test_id_already_in_this_union():
    lookups = FakeLookups(ids={id_for(1): ExistingMember("张二", 7, UNION)})
    assert errors_of(build([member(1)]), lookups) == [
        (5, "D", f"该证件号码在【{UNION}】中已存在！")
    ]


def test_id_in_another_union_same_name():
    lookups = FakeLookups(ids={id_for(1): ExistingMember("张二", 8, "别的工会委员会")})
    assert errors_of(build([member(1)]), lookups) == [(5, "D", "该会员身份证已存在于其他工会")]


def test_id_exists_under_another_name():
    lookups = FakeLookups(ids={id_for(1): ExistingMember("王五", 8, "别的工会委员会")})
    assert errors_of(build([member(1)]), lookups) == [(5, "D", "该证件号码已存在！")]


def test_mobile_already_used():
    lookups = FakeLookups(mobiles={mobile_for(1)})
    assert errors_of(build([member(1)]), lookups) == [
        (5, "I", f"手机号码：{mobile_for(1)}已被其他会员使用，请核对！")
    ]


ADDRESS_INVALID = "工作单位详细地址请填写6至20个汉字（办理会员服务卡必填）！"


@pytest.mark.parametrize(
    "address",
    [None, "深圳市福田", "A栋1001室 Room 5", "深圳市福田区深南大道一千零一号华润大厦三十二楼"],
)
def test_work_address_when_applying_for_a_card(address):
    assert only_error(work_address=address) == (5, "J", ADDRESS_INVALID)


@pytest.mark.parametrize(
    "address", ["深圳市南山区", "深圳市福田区深南大道1001号", "福田区ABC大厦8楼C座"]
)
def test_work_address_accepted(address):
    result, outcomes, _ = run(build([member(1, work_address=address)]))
    assert outcomes[0].ok, outcomes[0].errors


def test_work_address_not_needed_without_a_card():
    for wants in ("否", None):
        result, outcomes, _ = run(build([member(1, wants_card=wants, work_address=None)]))
        assert outcomes[0].ok and outcomes[0].member.wants_card is False


def test_wants_card_must_be_yes_or_no():
    assert only_error(wants_card="要") == (5, "L", "是否办理会员服务卡请填写【是】或【否】！")


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
        (12, "I", "手机号码：123为无效手机号，请填写长度为11位数字的有效手机号码。"),
        (13, "D", "同第5行的张二证件号码相同。"),
        (14, "I", "同第5行的张二手机号码相同。"),
        (15, "J", ADDRESS_INVALID),
        (16, "E", "证件已过期，请核对证件到期日！"),
        (17, "D", f"该证件号码在【{UNION}】中已存在！"),
        (18, "I", f"手机号码：{mobile_for(14)}已被其他会员使用，请核对！"),
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


# --- the template and the annotated workbook ------------------------------------------------


def load(data: bytes):
    from openpyxl import load_workbook

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
        "姓名不能为空！；手机号码：123为无效手机号，请填写长度为11位数字的有效手机号码。"
    )
    assert ws["D8"].comment.text == f"同第5行的{member(1)['name']}证件号码相同。"
    # clean cells and rows are copied untouched
    assert ws["D5"].value == id_for(1) and ws["D5"].fill.fgColor.rgb != ERROR_FILL_COLOR
    assert ws["D5"].comment is None and ws["N5"].value is None
    assert ws["A7"].value is None and ws["N7"].value is None  # the blank row stays in place
    assert ws["K5"].value.date() == date(2020, 3, 1)


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


def test_annotate_streams_rows_not_held_in_memory():
    """Rows go from calamine to the write-only sheet one by one: 3,000 rows, few errors."""
    rows = [member(n) for n in range(3000)]
    rows[2999]["mobile"] = "1"
    ws, errors = annotated(build(rows))
    assert errors == [
        CellError(
            3004, "I", "手机号码", "手机号码：1为无效手机号，请填写长度为11位数字的有效手机号码。"
        )
    ]
    assert ws.max_row == 3004 and ws["I3004"].fill.fgColor.rgb == ERROR_FILL_COLOR
