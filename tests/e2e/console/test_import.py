"""会员管理 → 会员导入 in Chromium: a grassroots clerk downloads the template through the
screen, fills it with one mistake, sees the mistake by row and column in the API's words,
downloads the annotated workbook, cancels that job from the history, uploads the fixed file,
confirms the import (all or nothing) and finds the members imported."""

from __future__ import annotations

import re
from datetime import date

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.extensions import db
from unioncard.imports.models import ImportJob, ImportStatus
from unioncard.imports.template import COLUMN_BY_KEY, FIRST_DATA_ROW
from unioncard.members.idcard import resident_id_check_char
from unioncard.members.models import Member
from unioncard.orgs.services import branch_codes_for

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import ImportScreen, LoginPage, Shell

BAD_MOBILE = "手机号码：1****34为无效手机号，请填写长度为11位数字的有效手机号码。"


def _rows() -> list[dict]:
    def rid(first17: str) -> str:
        return first17 + resident_id_check_char(first17)

    return [
        {
            "seq": i + 1,
            "name": name,
            "id_number": rid(f"31011019900{i + 1}15{731 + i:03d}"),
            "mobile": f"1995280{4417 + i:04d}",
            "work_address": "上海市杨浦区国定路335号",
            "join_date": date(2024, 5, 6),
            "wants_card": "是",
        }
        for i, name in enumerate(("顾晓峰", "䶮文静", "阿依古丽·买买提"))
    ]


def _fill(template_path, rows: list[dict], branch: str, out_path) -> None:
    wb = load_workbook(template_path)
    ws = wb.worksheets[0]
    for ref, value in {"G3": "2", "I3": "60", "K3": branch, "M3": "否"}.items():
        ws[ref] = value
    for i, row in enumerate(rows):
        for key, value in row.items():
            ws[f"{COLUMN_BY_KEY[key].letter}{FIRST_DATA_ROW + i}"] = value
    wb.save(out_path)


def _members(org_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Member).where(Member.org_id == org_id)
    )


def test_import_members_through_the_wizard(page, tmp_path):
    org = account("jm_operator").org
    branch = branch_codes_for(org)[0][0]
    before = _members(org.id)

    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("会员导入")
    screen = ImportScreen(page)
    expect(page).to_have_title(re.compile("^会员导入"))
    expect(screen.total).to_contain_text("共 0 条")
    assert_accessible(page)

    # 下载模板 through the screen: the union's own template
    template = screen.download("下载模板", tmp_path)
    assert template.suffix == ".xlsx" and org.name in template.name
    assert load_workbook(template).worksheets[0]["B3"].value == org.name

    # one mistake: a short mobile on the second member
    rows = _rows()
    wrong = [dict(r) for r in rows]
    wrong[1]["mobile"] = "1391234"
    first = tmp_path / "会员-有误.xlsx"
    _fill(template, wrong, branch, first)
    screen.upload(first)
    expect(page.get_by_text("校验未通过：共 3 行，无误 2 行，有误 1 行")).to_be_visible()
    expect(screen.issue_rows).to_have_count(1)
    cells = screen.issue_rows.first.locator("td")
    expect(cells.nth(0)).to_have_text(str(FIRST_DATA_ROW + 1))
    expect(cells.nth(1)).to_have_text(COLUMN_BY_KEY["mobile"].letter)
    expect(cells.nth(3)).to_have_text(BAD_MOBILE)
    expect(screen.row("会员-有误.xlsx")).to_contain_text("校验未通过")
    assert _members(org.id) == before  # nothing written
    screenshot(page, "import-issues")
    assert_accessible(page)

    # the annotated workbook marks the cell
    annotated = screen.download("下载错误标注文件", tmp_path)
    ws = load_workbook(annotated).worksheets[0]
    cell = ws[f"{COLUMN_BY_KEY['mobile'].letter}{FIRST_DATA_ROW + 1}"]
    assert cell.comment is not None and "手机号码" in cell.comment.text

    # the failed job is cancelled from the history
    failed = db.session.scalars(select(ImportJob).where(ImportJob.org_id == org.id)).one()
    screen.cancel_job(failed.id)
    expect(screen.row("会员-有误.xlsx")).to_contain_text("已取消")
    db.session.expire_all()
    assert db.session.get(ImportJob, failed.id).status == ImportStatus.CANCELLED

    # fixed file: 待确认导入, then the confirm dialog with the count, then 已导入
    fixed = tmp_path / "会员-改正.xlsx"
    _fill(template, rows, branch, fixed)
    screen.upload(fixed, "重新上传")
    expect(page.get_by_text("校验通过：共 3 名会员")).to_be_visible()
    assert _members(org.id) == before
    screen.commit()
    expect(screen.confirmation).to_contain_text("确认导入 3 名会员？全部写入或全部不写入")
    assert_accessible(page)
    screen.confirmation.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_text("已导入 3 名会员，已生成会员编号。")).to_be_visible()
    expect(screen.row("会员-改正.xlsx")).to_contain_text("已导入")
    # an imported job cannot be cancelled any more
    expect(
        screen.row("会员-改正.xlsx").get_by_role("button", name=re.compile("^取消"))
    ).to_have_count(0)
    screenshot(page, "import-done")
    assert _members(org.id) == before + 3
    names = set(
        db.session.scalars(
            select(Member.name).where(Member.org_id == org.id, Member.member_no.is_not(None))
        )
    )
    assert {r["name"] for r in rows} <= names

    # and 会员信息 lists them
    Shell(page).go("会员信息")
    page.get_by_role("textbox", name="姓名", exact=True).fill("顾晓峰")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.locator(".el-pagination__total")).to_have_text("共 1 条")


def test_the_import_screen_is_for_grassroots_unions(page):
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    expect(page.get_by_role("navigation", name="主菜单")).to_contain_text("会员信息")
    expect(page.get_by_role("navigation", name="主菜单").get_by_text("会员导入")).to_have_count(0)
