"""Member import through the API: template, upload, every mistake back, annotated workbook,
fix, all-or-nothing commit, masked members in the list, history kept, bad files refused."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.world import build_world, login
from unioncard.extensions import db
from unioncard.imports.models import ImportJob
from unioncard.imports.template import COLUMN_BY_KEY, FIRST_DATA_ROW
from unioncard.members.idcard import resident_id_check_char
from unioncard.members.models import Member
from unioncard.storage.models import StoredFile

IMPORTS = "/api/admin/v1/imports"


def rid(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def people(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "seq": i + 1,
            "name": ["王芳", "李娜", "𠮷田春", "阿依古丽·买买提", "欧阳娜娜"][i % 5],
            "id_number": rid(f"310104198803{(i % 28) + 1:02d}{start + i:03d}"),
            "mobile": f"139{start + i:08d}",
            "work_address": "上海市杨浦区黄兴路1599号",
            "wants_card": "是",
            "join_date": date(2021, 3, 1),
        }
        for i in range(n)
    ]


def fill(template: bytes, rows: list[dict], header: dict | None = None) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    for ref, value in ({"G3": "2", "I3": "60", "K3": "B0005", "M3": "否"} | (header or {})).items():
        ws[ref] = value
    for i, row in enumerate(rows):
        for key, value in row.items():
            ws[f"{COLUMN_BY_KEY[key].letter}{FIRST_DATA_ROW + i}"] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, headers, data: bytes, name: str = "会员.xlsx"):
    return client.post(
        IMPORTS,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name)},
    )


@pytest.fixture()
def setup(client, ctx):
    world = build_world(members_per_union=2)
    headers = login(client, "ga1_operator")
    r = client.get(f"{IMPORTS}/template", headers=headers)
    assert r.status_code == 200
    assert r.mimetype.endswith("spreadsheetml.sheet")
    template = r.data
    r.close()
    return world, headers, template


def test_template_names_the_union_and_its_branches(setup):
    world, _headers, template = setup
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "附件2"
    assert ws["B3"].value == world.org("gA1").name
    guide = "\n".join(str(c.value) for row in wb.worksheets[1].iter_rows() for c in row if c.value)
    assert f"B{world.org('dA').id:04d}" in guide  # the district's branch code


def test_mistakes_come_back_then_fixed_file_imports(client, setup):
    world, headers, template = setup
    rows = people(5)
    good = [dict(r) for r in rows]
    existing = world.people[0]  # already a member of gA1
    rows[1]["id_number"] = rows[1]["id_number"][:-1].replace("0", "O", 1) + rows[1]["id_number"][-1]
    rows[2]["mobile"] = "1391234"
    rows[3]["id_number"] = rows[0]["id_number"]
    rows[4]["id_number"] = existing.id_number
    rows[4]["name"] = existing.name
    r = upload(client, headers, fill(template, rows, {"I3": "99"}))
    assert r.status_code == 202, r.get_json()
    job = r.get_json()
    # eager mode in tests: validation has already run after the commit
    job = client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()
    assert job["status"] == "校验未通过"
    assert (job["total"], job["valid"], job["invalid"]) == (5, 1, 4)
    issues = client.get(f"{IMPORTS}/{job['id']}/issues?page_size=100", headers=headers).get_json()
    found = {(i["row"], i["column"], i["message"]) for i in issues}
    assert (3, "I", "单位类型填写错误！") in found
    assert (6, "D", '身份证号码中含有字母"O"，请将其改为数字"0"！') in found
    assert (7, "I", "手机号码：1****34为无效手机号，请填写长度为11位数字的有效手机号码。") in found
    assert (8, "D", f"同第5行的{rows[0]['name']}证件号码相同。") in found
    assert (9, "D", f"该证件号码在【{world.org('gA1').name}】中已存在！") in found
    # nothing was stored
    assert db.session.scalar(select(func.count()).select_from(Member)) == 6
    # the annotated workbook marks the cells and adds the message column
    r = client.get(f"{IMPORTS}/{job['id']}/annotated", headers=headers)
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    r.close()
    assert ws["D6"].comment is not None and "字母" in ws["D6"].comment.text
    assert ws["D6"].fill.fgColor.rgb.endswith("FFC7CE") or ws["D6"].fill.fill_type == "solid"
    assert "手机号码" in str(ws["N7"].value)
    # the download is an export of personal data: audited
    audit = client.get("/api/admin/v1/audit?action=member.import_download", headers=headers)
    assert len(audit.get_json()) == 1

    fixed = fill(template, good)
    r = upload(client, headers, fixed)
    job2 = client.get(f"{IMPORTS}/{r.get_json()['id']}", headers=headers).get_json()
    assert job2["status"] == "待确认导入", job2
    assert (job2["total"], job2["valid"], job2["invalid"]) == (5, 5, 0)
    assert db.session.scalar(select(func.count()).select_from(Member)) == 6  # preview only
    r = client.post(f"{IMPORTS}/{job2['id']}/commit", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "已导入" and r.get_json()["imported"] == 5
    listed = client.get(
        f"/api/admin/v1/members?page_size=100&org_id={world.org('gA1').id}", headers=headers
    ).get_json()
    names = {m["name"] for m in listed}
    assert {"𠮷田春", "阿依古丽·买买提"} <= names
    imported = [m for m in listed if m["import_job_id"] == job2["id"]]
    assert len(imported) == 5
    for m in imported:
        assert "*" in m["id_number"] and "*" in m["mobile"]
        assert m["member_no"].startswith("101") and m["status"] == "正常"
    assert len({m["member_no"] for m in imported}) == 5
    # history: both jobs listed, the first one's results still downloadable
    history = client.get(IMPORTS, headers=headers).get_json()
    assert [j["id"] for j in history] == [job2["id"], job["id"]]
    again = client.get(f"{IMPORTS}/{job['id']}/annotated", headers=headers)
    assert again.status_code == 200
    again.close()
    # a second commit does nothing
    assert client.post(f"{IMPORTS}/{job2['id']}/commit", headers=headers).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Member)) == 11


def test_registry_change_between_preview_and_commit_imports_nothing(client, setup):
    _world, headers, template = setup
    rows = people(3, start=40)
    first = upload(client, headers, fill(template, rows)).get_json()["id"]
    second = upload(client, headers, fill(template, rows[1:])).get_json()["id"]
    assert client.post(f"{IMPORTS}/{first}/commit", headers=headers).status_code == 200
    r = client.post(f"{IMPORTS}/{second}/commit", headers=headers)
    assert r.status_code == 409
    assert "发生了变化" in r.get_json()["message"]
    job = client.get(f"{IMPORTS}/{second}", headers=headers).get_json()
    assert job["status"] == "校验未通过"
    assert (
        db.session.scalar(
            select(func.count()).select_from(Member).where(Member.import_job_id == second)
        )
        == 0
    )


@pytest.mark.parametrize(
    ("data", "name", "fragment"),
    [
        (b"name,id\n", "a.csv", ".xlsx"),
        (b"name,id\n", "a.xlsx", "格式不正确"),
        (b"%PDF-1.4\n", "a.xlsx", "格式不正确"),
        (b"", "a.xlsx", "空的"),
        (b"PK\x03\x04broken", "a.xlsx", "损坏"),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_stored(client, setup, data, name, fragment):
    _world, headers, _template = setup
    r = upload(client, headers, data, name)
    body = r.get_json()
    assert r.status_code == 422
    assert fragment in body["message"]
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_the_stored_upload_is_encrypted(client, setup):
    _world, headers, template = setup
    data = fill(template, people(2, start=70))
    upload(client, headers, data)
    blob = db.session.scalar(select(StoredFile.content))
    assert data[:4] == b"PK\x03\x04" and not blob.startswith(b"PK")
    assert people(2, start=70)[0]["mobile"].encode() not in blob


def test_import_needs_a_grassroots_union_in_scope(client, setup):
    world, _headers, template = setup
    district = login(client, "da_admin")
    r = client.get(f"{IMPORTS}/template", headers=district)
    assert r.status_code == 422 and "基层工会" in r.get_json()["message"]
    sibling = login(client, "gb1_operator")
    r = client.get(f"{IMPORTS}/template?org_id={world.org('gA1').id}", headers=sibling)
    assert r.status_code == 404


def test_a_lost_validation_is_resumed_by_beat(client, setup, app):
    from datetime import timedelta

    from unioncard.imports.models import ImportStatus
    from unioncard.imports.tasks import resume_stalled
    from unioncard.models_base import utcnow

    _world, headers, template = setup
    app.config["TASK_MODE"] = "off"  # the dispatch after commit is lost
    try:
        job_id = upload(client, headers, fill(template, people(2, start=90))).get_json()["id"]
    finally:
        app.config["TASK_MODE"] = "eager"
    job = db.session.get(ImportJob, job_id)
    assert job.status == ImportStatus.QUEUED
    assert resume_stalled() == 0  # not stalled yet
    db.session.execute(
        ImportJob.__table__.update().values(updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    assert resume_stalled() == 1
    db.session.expire_all()
    assert db.session.get(ImportJob, job_id).status == ImportStatus.READY


def test_one_pass_import_writes_all_or_nothing(client, setup):
    world, headers, template = setup
    rows = people(4, start=120)
    bad = [dict(r) for r in rows]
    bad[3]["mobile"] = "12"
    r = client.post(
        IMPORTS,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(fill(template, bad)), "m.xlsx"), "auto_commit": "true"},
    )
    job = client.get(f"{IMPORTS}/{r.get_json()['id']}", headers=headers).get_json()
    assert job["status"] == "校验未通过" and job["invalid"] == 1
    assert (
        db.session.scalar(
            select(func.count()).select_from(Member).where(Member.import_job_id == job["id"])
        )
        == 0
    )
    issues = client.get(f"{IMPORTS}/{job['id']}/issues", headers=headers).get_json()
    assert [(i["row"], i["column"]) for i in issues] == [(8, "I")]
    r = client.post(
        IMPORTS,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(fill(template, rows)), "m.xlsx"), "auto_commit": "true"},
    )
    job = client.get(f"{IMPORTS}/{r.get_json()['id']}", headers=headers).get_json()
    assert job["status"] == "已导入" and job["imported"] == 4, job
    members = db.session.scalars(select(Member).where(Member.import_job_id == job["id"])).all()
    assert len(members) == 4 and len({m.member_no for m in members}) == 4
    assert all(m.member_no.startswith("101") for m in members)


def test_clear_answers_for_an_empty_file_a_renamed_member_and_a_reupload(client, setup):
    world, headers, template = setup
    # a file with the header block only: no "共 0 行，0 行有误"
    job = client.get(
        f"{IMPORTS}/{upload(client, headers, fill(template, [])).get_json()['id']}",
        headers=headers,
    ).get_json()
    assert job["status"] == "校验未通过"
    assert job["message"].startswith("文件中没有会员数据") and "第 5 行" in job["message"]
    assert "行有误" not in job["message"]
    # nothing filled in at all: the header block is named as well
    job = client.get(
        f"{IMPORTS}/{upload(client, headers, template).get_json()['id']}", headers=headers
    ).get_json()
    assert "没有会员数据" in job["message"] and "第 3 行表头也有 4 处" in job["message"]
    # the union's own members again: one under another name, one as registered
    renamed, same = world.people[0], world.people[1]
    rows = people(2, start=300)
    rows[0] |= {"id_number": renamed.id_number, "name": "改了名字", "mobile": renamed.mobile}
    rows[1] |= {"id_number": same.id_number, "name": same.name, "mobile": same.mobile}
    job = upload(client, headers, fill(template, rows)).get_json()
    job = client.get(f"{IMPORTS}/{job['id']}", headers=headers).get_json()
    assert (
        job["message"]
        == "共 2 名会员，2 行有误；请下载错误标注文件（或查看错误明细）修改后重新上传"
    )
    issues = client.get(f"{IMPORTS}/{job['id']}/issues", headers=headers).get_json()
    union = world.org("gA1").name
    assert [(i["row"], i["column"], i["message"]) for i in issues] == [
        (
            5,
            "D",
            f"该证件号码在【{union}】中已存在，但登记的姓名与本行不同，请核对姓名和证件号码！",
        ),
        (6, "D", f"该证件号码在【{union}】中已存在！"),
    ]  # and their own mobiles are not "used by another member"


def test_the_annotated_workbook_keeps_the_guide_the_comments_and_the_formulas(client, setup):
    world, headers, template = setup
    rows = people(3, start=400)
    rows[1]["mobile"] = "1391234"  # a plain mistake
    wb = load_workbook(io.BytesIO(fill(template, rows)))
    ws = wb.worksheets[0]
    ws["I7"] = "=VLOOKUP(A7,通讯录!A:B,2,FALSE)"  # the mobile looked up, not pasted as a value
    from openpyxl.comments import Comment

    ws["B5"].comment = Comment("经办人备注：本人已核对", "经办人")
    out = io.BytesIO()
    wb.save(out)
    job = upload(client, headers, out.getvalue()).get_json()
    issues = client.get(f"{IMPORTS}/{job['id']}/issues", headers=headers).get_json()
    assert any(i["row"] == 7 and "粘贴为值" in i["message"] for i in issues), issues
    r = client.get(f"{IMPORTS}/{job['id']}/annotated", headers=headers)
    annotated = r.data
    r.close()
    wb = load_workbook(io.BytesIO(annotated))
    assert wb.sheetnames == ["会员信息", "填写说明"]
    guide = "\n".join(
        " ".join(str(v) for v in row if v) for row in wb["填写说明"].iter_rows(values_only=True)
    )
    assert f"B{world.org('dA').id:04d}" in guide and "6至20个汉字" in guide
    ws = wb["会员信息"]
    # the template's own notes and the clerk's, beside the system's messages
    assert ws["G3"].comment is not None and "按档次填写1-5" in ws["G3"].comment.text
    assert ws["K3"].comment is not None and "填写说明" in ws["K3"].comment.text
    assert ws["B5"].comment is not None and ws["B5"].comment.text == "经办人备注：本人已核对"
    assert "有效手机号码" in ws["I6"].comment.text
    # the formula is still a formula, marked
    assert ws["I7"].value == "=VLOOKUP(A7,通讯录!A:B,2,FALSE)"
    assert ws["I7"].fill.fill_type == "solid" and "粘贴为值" in ws["I7"].comment.text
    # uploaded again unchanged: the same hint comes back
    again = upload(client, headers, annotated).get_json()
    issues = client.get(f"{IMPORTS}/{again['id']}/issues", headers=headers).get_json()
    assert any(i["row"] == 7 and "粘贴为值" in i["message"] for i in issues), issues


def test_no_mobile_or_id_number_in_clear_in_stored_issues_or_answers(client, setup):
    import json
    import re

    from unioncard.imports.models import ImportIssue

    world, headers, template = setup
    other_union_member = world.people[2]
    rows = people(4, start=500)
    rows[0]["mobile"] = other_union_member.mobile  # 已被其他会员使用
    rows[1]["mobile"] = "12345678901"  # eleven digits, not a mobile
    rows[2]["mobile"] = rows[3]["id_number"]  # an ID number in the mobile column
    rows[3] |= {"id_number": world.people[0].id_number, "name": "别人"}
    wb = load_workbook(io.BytesIO(fill(template, rows)))
    wb.worksheets[0]["I8"] = '=TEXT(13912345678,"0")'  # a formula holding a mobile
    out = io.BytesIO()
    wb.save(out)
    job_id = upload(client, headers, out.getvalue()).get_json()["id"]
    stored = [m for (m,) in db.session.execute(select(ImportIssue.message))]
    assert len(stored) >= 4
    answers = [
        client.get(f"{IMPORTS}/{job_id}/issues?page_size=100", headers=headers).get_json(),
        client.get(f"{IMPORTS}/{job_id}", headers=headers).get_json(),
        client.get(IMPORTS, headers=headers).get_json(),
    ]
    text = "\n".join(stored) + json.dumps(answers, ensure_ascii=False)
    assert "已被其他会员使用" in text and "粘贴为值" in text  # the messages are there, masked
    assert re.search(r"(?<![0-9])[0-9]{11}(?![0-9])", text) is None, text
    assert re.search(r"[0-9]{17}[0-9Xx]", text) is None, text
    for secret in (other_union_member.mobile, "12345678901", rows[2]["mobile"], "13912345678"):
        assert secret not in text
    assert f"{other_union_member.mobile[:3]}****{other_union_member.mobile[-4:]}" in text
