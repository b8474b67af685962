"""会员管理 → 会员信息, the rest of the list grammar in Chromium: 导出 of the filtered list,
of the ticked rows and of "all N matching" (the real xlsx opened), 新增会员 with the API's
field errors next to the fields, the drawer's 办卡日志 and 参保记录, and filters and page
kept when the clerk comes back from another screen."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.members.idcard import resident_id_check_char
from unioncard.members.models import Member, MemberStatus

from .conftest import PASSWORD, account, assert_accessible
from .pages import LoginPage, MembersScreen, Shell


def _mine(**where) -> list[Member]:
    org_id = account("jm_operator").org_id
    stmt = select(Member).where(Member.org_id == org_id).filter_by(**where).order_by(Member.id)
    return list(db.session.scalars(stmt))


def _sheet(path) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()


def _exports() -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == "export.members")
    return list(db.session.scalars(stmt.order_by(AuditRecord.id)))


def _open_members(page) -> MembersScreen:
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.total).to_contain_text("共")
    return members


def test_export_the_filtered_list_masked_and_audited(page, tmp_path):
    waiting = _mine(status=MemberStatus.UNREVIEWED)
    members = _open_members(page)
    members.choose("状态", "未审核")
    members.search()
    expect(members.total).to_have_text(f"共 {len(waiting)} 条")
    text, path = members.export(tmp_path)
    assert f"确认导出符合条件的全部 {len(waiting)} 条记录" in text
    assert path.name.startswith("会员信息_") and path.suffix == ".xlsx"
    rows = _sheet(path)
    assert rows[0][:6] == ("会员编号", "姓名", "性别", "证件类型", "证件号码", "手机号码")
    assert sorted(r[1] for r in rows[1:]) == sorted(m.name for m in waiting)
    by_name = {r[1]: r for r in rows[1:]}
    for member in waiting:
        assert by_name[member.name][4] == member.id_number[:4] + "********" + member.id_number[-4:]
        assert by_name[member.name][5] == member.mobile[:3] + "****" + member.mobile[-4:]
    [entry] = _exports()
    assert entry.detail["rows"] == len(waiting) and entry.detail["filters"] == {"status": "未审核"}
    assert entry.actor_name == account("jm_operator").display_name


def test_tick_rows_or_select_all_matching_then_export(page, tmp_path):
    everyone = _mine()
    assert len(everyone) > 10  # more than one page: "all N matching" is more than the page
    members = _open_members(page)
    expect(members.total).to_have_text(f"共 {len(everyone)} 条")
    # one ticked row: only that one
    first = members.rows.first.locator("td").nth(2).inner_text()
    members.tick(first)
    text, path = members.export(tmp_path)
    assert "确认导出选中的 1 条记录" in text
    assert [r[1] for r in _sheet(path)[1:]] == [first]
    # the whole page, then every row matching the filter
    members.tick_page()
    notice = page.get_by_role("status").filter(has_text="已选择本页")
    expect(notice).to_contain_text("已选择本页 10 条")
    notice.get_by_role("button", name=f"选择全部 {len(everyone)} 条符合条件的记录").click()
    expect(page.get_by_role("status").filter(has_text="已选择全部")).to_contain_text(
        f"已选择全部 {len(everyone)} 条符合条件的记录"
    )
    assert_accessible(page)
    text, path = members.export(tmp_path)
    assert f"确认导出符合条件的全部 {len(everyone)} 条记录" in text
    assert len(_sheet(path)) - 1 == len(everyone)
    assert [e.detail["rows"] for e in _exports()] == [1, len(everyone)]


def test_register_a_member_by_hand_with_field_errors_next_to_the_fields(page):
    members = _open_members(page)
    before = len(_mine())
    first17 = "31010419850617231"
    number = first17 + resident_id_check_char(first17)
    dialog = members.register(姓名="陈新登", 证件号码=number[:-2], 手机号码="13912340001")
    field_error = dialog.locator(".el-form-item__error")
    expect(field_error).to_contain_text("身份证号码格式错误，请填写18位正确的身份证号码！")
    # the message sits in the 证件号码 item
    item = dialog.locator(".el-form-item").filter(has=page.get_by_role("textbox", name="证件号码"))
    expect(item).to_contain_text("身份证号码格式错误")
    assert_accessible(page)
    dialog.get_by_role("textbox", name="证件号码").fill(number)
    dialog.get_by_role("button", name="确认登记").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("alert").filter(has_text="已登记会员 陈新登")).to_be_visible()
    expect(members.total).to_have_text(f"共 {before + 1} 条")
    created = db.session.scalar(select(Member).where(Member.name == "陈新登"))
    assert created.id_number == number and created.org_id == account("jm_operator").org_id
    row = members.row("陈新登")
    expect(row).to_contain_text(number[:4] + "********" + number[-4:])
    expect(row).not_to_contain_text(number)

    members.open_detail("陈新登")
    expect(members.drawer.get_by_role("heading", name="办卡日志")).to_be_visible()
    expect(members.drawer.get_by_label("办卡日志", exact=True)).to_contain_text("暂无办卡记录")
    expect(members.drawer.get_by_label("参保记录", exact=True)).to_contain_text("暂无参保记录")
    assert_accessible(page)


def test_filters_and_page_are_kept_when_coming_back(page):
    active = db.session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.org_id == account("jm_operator").org_id, Member.status == MemberStatus.ACTIVE)
    )
    assert active > 10
    members = _open_members(page)
    members.choose("状态", "正常")
    members.search()
    expect(members.total).to_have_text(f"共 {active} 条")
    with page.expect_response(
        lambda r: "/api/admin/v1/members" in r.url and "page=2" in r.url
    ) as answer:
        members.page_button(2).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    # The name comes from page 2's answer, so the row is read only once the table shows it
    # (reading the table right after the click could catch page 1 still on screen).
    second_page = answer.value.json()[0]["name"]
    expect(members.rows.first.locator("td").nth(2)).to_have_text(second_page)
    members.open_detail(second_page)
    expect(members.drawer).to_be_visible()
    page.keyboard.press("Escape")
    expect(members.drawer).to_be_hidden()
    Shell(page).go("操作日志")
    expect(page).to_have_url(re.compile(r"/console/audit"))
    page.go_back()
    expect(members.total).to_have_text(f"共 {active} 条")
    expect(page.locator(".el-pager .is-active")).to_have_text("2")
    status = page.locator(".uc-search .el-form-item").filter(
        has=page.get_by_role("combobox", name="状态")
    )
    expect(status).to_contain_text("正常")
    expect(members.rows.first).to_contain_text(second_page)
