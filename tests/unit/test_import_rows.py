"""The per-row rules of the import, one test each, with the exact seed-004 wording."""

from __future__ import annotations

from datetime import date

import pytest

from unioncard.imports.engine import (
    ExistingMember,
)
from unioncard.members.idcard import ID_TYPES
from unioncard.security.masking import mask_mobile

from .xlsx_factory import (
    ADDRESS_INVALID,
    BIRTH_REQUIRED,
    COUNTRY_REQUIRED,
    ID_INVALID,
    ID_LENGTH,
    ID_LETTER_O,
    TYPE_REQUIRED,
    UNION,
    FakeLookups,
    build,
    errors_of,
    id_for,
    make_id,
    member,
    mobile_for,
    only_error,
    run,
    with_cached_value,
)

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
        "手机号码：1****34为无效手机号，请填写长度为11位数字的有效手机号码。",  # masked
    )
    assert only_error(mobile="12812345678")[2] == (
        "手机号码：128****5678为无效手机号，请填写长度为11位数字的有效手机号码。"
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


def test_id_in_this_union_under_another_name_says_the_name_differs():
    lookups = FakeLookups(ids={id_for(1): ExistingMember("王五", 7, UNION)})
    assert errors_of(build([member(1)]), lookups) == [
        (5, "D", f"该证件号码在【{UNION}】中已存在，但登记的姓名与本行不同，请核对姓名和证件号码！")
    ]


def test_a_reuploaded_members_own_mobile_is_not_someone_elses():
    mine, theirs = mobile_for(1), mobile_for(2)
    lookups = FakeLookups(
        ids={
            id_for(1): ExistingMember("张二", 7, UNION, mobile_bidx=f"mobile:{mine}"),
            id_for(2): ExistingMember("张三", 7, UNION, mobile_bidx="mobile:13800000000"),
        },
        mobiles={mine, theirs},
    )
    assert errors_of(build([member(1), member(2)]), lookups) == [
        (5, "D", f"该证件号码在【{UNION}】中已存在！"),
        (6, "D", f"该证件号码在【{UNION}】中已存在！"),
        (6, "I", f"手机号码：{mask_mobile(theirs)}已被其他会员使用，请核对！"),
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
        (5, "I", f"手机号码：{mask_mobile(mobile_for(1))}已被其他会员使用，请核对！")
    ]


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
