"""年审名单文件: the template, every bad row, refused and altered files, the kept upload."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.api import test_reviews as flow
from tests.api.test_reviews import (
    REVIEWS,
    actions,
    fill,
    members_of,
    start,
    template_of,
    upload,
)
from tests.world import login
from unioncard.extensions import db
from unioncard.members.idcard import resident_id_check_char
from unioncard.reviews.models import AnnualReviewMark
from unioncard.storage.models import StoredFile

clock = flow.clock  # the fixtures of the review tests
world = flow.world


def rid_of(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def test_every_bad_row_of_the_file_comes_back_and_nothing_is_applied(client, world):
    admin = login(client, "da_admin")  # a district admin reviews for gA1: may see gA2's name
    gA1 = world.org("gA1")
    m1, m2, m3, _m4 = members_of(world, "gA1")
    other_in_scope = members_of(world, "gA2")[0]
    other_out_of_scope = members_of(world, "gB1")[0]
    review = start(client, admin, org_id=gA1.id).get_json()
    rid = review["id"]
    client.put(f"{REVIEWS}/{rid}/marks/{m1.id}", headers=admin, json={"reason": "离职"})
    client.post(
        f"/api/admin/v1/members/{m3.id}/status",
        headers=admin,
        json={"status": "离职", "reason": "已离职"},
    )
    good = rid_of("31010419880301123")
    rows = [
        (m2.id_number, "退休"),  # 4: fine
        ("31010419880301123", "退休"),  # 5: 17 characters
        (good[:-3] + "O" + good[-2:], "离职"),  # 6: the letter O
        (good[:-1] + ("0" if good[-1] != "0" else "1"), "离职"),  # 7: check digit
        (good, "死亡"),  # 8: valid, nobody's
        (other_in_scope.id_number, "退休"),  # 9: a member of gA2 (in scope)
        (other_out_of_scope.id_number, "退休"),  # 10: a member of gB1 (out of scope)
        (m2.id_number.lower(), "死亡"),  # 11: the same ID again (x/X normalised)
        (m1.id_number, "调走"),  # 12: not a reason
        (m1.id_number, None),  # 13: duplicate and no reason
        (m3.id_number, "退休"),  # 14: not 正常 any more
        (None, "退休", "只有原因"),  # 15: no ID
        ("E12345678", "退休", "x" * 201),  # 16: unknown passport, remark too long
        (None, None, None),  # 17: blank row: skipped
    ]

    def formulas(ws):
        ws["A18"] = "=A4"
        ws["B18"] = "退休"

    data = fill(template_of(client, admin, rid), rows, formulas)
    r = upload(client, admin, rid, data)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["message"].startswith("年审名单有 13 行错误（共 15 处）")
    assert "未做任何修改" in body["message"]
    got = [(e["row"], e["column"], e["message"]) for e in body["errors"]["rows"]]
    bad_id = '身份证号码无效，请核对身份证原件,并检查所填数据中是否存在字母"O"！'
    assert got == [
        (5, "A", "身份证号码格式错误，请填写18位正确的身份证号码！"),
        (6, "A", '身份证号码中含有字母"O"，请将其改为数字"0"！'),
        (7, "A", bad_id),
        (8, "A", "该证件号码不是本工会会员！"),
        (9, "A", "该证件号码是【测试甲二公司工会委员会】的会员，不是本工会会员！"),
        (10, "A", "该证件号码是其他工会的会员，不是本工会会员！"),
        (11, "A", "同第4行的证件号码相同，同一会员只能填写一次！"),
        (12, "B", "不通过原因只能填写【退休】、【离职】或【死亡】！"),
        (13, "A", "同第12行的证件号码相同，同一会员只能填写一次！"),
        (13, "B", "不通过原因不能为空！"),
        (14, "A", "该会员当前状态为「离职」，不在年审范围内，请删除该行！"),
        (15, "A", "证件号码不能为空！"),
        (16, "A", "该证件号码不是本工会会员！"),
        (16, "C", "备注不能超过200个字！"),
        (18, "A", "该单元格是公式（=A4），请复制后“粘贴为值”！"),
    ]
    # nothing applied: the list mark is as it was, no file kept
    marks = db.session.execute(select(AnnualReviewMark.member_id, AnnualReviewMark.reason)).all()
    assert [(mid, reason.value) for mid, reason in marks] == [(m1.id, "离职")]
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert actions("review.upload") == []

    # an operator of the unit is never told the name of a union outside its scope
    op = login(client, "ga1_operator")
    data = fill(template_of(client, op, rid), [(other_in_scope.id_number, "退休")])
    errors = upload(client, op, rid, data).get_json()["errors"]["rows"]
    assert errors == [
        {"row": 4, "column": "A", "message": "该证件号码是其他工会的会员，不是本工会会员！"}
    ]


@pytest.mark.parametrize(
    ("make", "name", "fragment"),
    [
        (lambda t: b"id,reason\n", "a.csv", ".xlsx"),
        (lambda t: b"id,reason\n", "a.xlsx", "格式不正确"),
        (lambda t: b"", "a.xlsx", "空的"),
        (lambda t: b"PK\x03\x04broken", "a.xlsx", "损坏"),
        (lambda t: t, "a.xlsx", "没有年审不通过的会员"),
        (
            lambda t: fill(t, [], lambda ws: ws.__setitem__("A1", "附件2")),
            "a.xlsx",
            "请使用系统下载的年审模板",
        ),
        (
            lambda t: fill(t, [], lambda ws: ws.__setitem__("B3", "原因")),
            "a.xlsx",
            "请使用系统下载的年审模板",
        ),
    ],
)
def test_unreadable_or_altered_files_are_refused(client, world, make, name, fragment):
    op = login(client, "ga1_operator")
    review = start(client, op).get_json()
    data = make(template_of(client, op, review["id"]))
    r = upload(client, op, review["id"], data, name)
    assert r.status_code == 422
    assert fragment in r.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(AnnualReviewMark)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_the_template_and_the_kept_upload(client, world):
    op = login(client, "ga1_operator")
    review = start(client, op).get_json()
    template = template_of(client, op, review["id"])
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "附件"
    assert world.org("gA1").name in ws["A2"].value and "2026年度" in ws["A2"].value
    assert [ws[f"{c}3"].value for c in "ABC"] == ["*证件号码", "*不通过原因", "备注"]
    assert wb.sheetnames[1] == "填写说明"
    member = members_of(world, "gA1")[0]
    data = fill(template, [(member.id_number, "死亡", "2026年10月病故")])
    assert upload(client, op, review["id"], data).status_code == 200
    stored = db.session.scalar(select(StoredFile))
    assert stored.purpose == "annual_review" and member.id_number.encode() not in stored.content
    mark = db.session.scalar(select(AnnualReviewMark))
    assert (mark.reason.value, mark.source.value, mark.remark) == ("死亡", "文件", "2026年10月病故")
