"""会员管理 → 会员信息 in Chromium: the seed's filters, masked numbers, the detail drawer,
查看完整号码 with a required reason (audited), edit, filters kept after a detail, column
settings that persist, and a clerk of a sibling union who finds none of these members."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.members.models import Member, MemberStatus

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import LoginPage, MembersScreen, Shell


def _waiting_member():
    return db.session.scalars(
        select(Member)
        .where(Member.org_id == account("jm_operator").org_id)
        .where(Member.status == MemberStatus.UNREVIEWED)
        .order_by(Member.id)
    ).first()


def test_find_reveal_and_edit_a_member(page):
    member = _waiting_member()
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.total).to_contain_text("共")
    assert_accessible(page)

    members.choose("状态", "未审核")
    members.search()
    expect(members.total).to_have_text("共 3 条")
    row = members.row(member.name)
    # numbers are masked on the screen: never the full ID number
    expect(row).not_to_contain_text(member.id_number)
    expect(row).to_contain_text(member.id_number[:3])
    expect(row).to_contain_text("未审核")
    screenshot(page, "members")

    members.open_detail(member.name)
    expect(members.drawer).to_contain_text(member.org.name)
    expect(members.drawer).not_to_contain_text(member.id_number)
    screenshot(page, "member-detail")
    dialog = members.reveal("")
    expect(dialog.get_by_role("alert")).to_contain_text("请填写查看原因")
    dialog.get_by_label("查看原因").fill("会员来电核对身份")
    dialog.get_by_role("button", name="确认查看").click()
    expect(dialog).to_contain_text(member.id_number)
    assert_accessible(page)
    dialog.get_by_role("button", name="关闭", exact=True).click()
    logged = db.session.scalars(
        select(AuditRecord).where(AuditRecord.target_key.contains(f",{member.id},"))
    ).all()
    assert any("会员来电核对身份" in str(record.detail) for record in logged)

    members.edit_address("上海市杨浦区国定路335号8号楼")
    expect(members.drawer).to_contain_text("上海市杨浦区国定路335号8号楼")
    db.session.expire_all()
    assert db.session.get(Member, member.id).work_address == "上海市杨浦区国定路335号8号楼"
    page.keyboard.press("Escape")
    expect(members.drawer).to_be_hidden()

    # a column hidden in 列设置 stays hidden after a reload; filters and page stay in the URL
    expect(members.table.get_by_role("columnheader", name="手机号码")).to_have_count(1)
    members.column_settings().get_by_text("手机号码").click()
    expect(members.table.get_by_role("columnheader", name="手机号码")).to_have_count(0)
    page.reload()
    expect(members.total).to_have_text("共 3 条")
    expect(members.table.get_by_role("columnheader", name="手机号码")).to_have_count(0)
    expect(members.table.get_by_role("columnheader", name="证件号码")).to_have_count(1)


def test_a_sibling_union_finds_none_of_these_members(page):
    member = _waiting_member()
    LoginPage(page).open().sign_in("gh_operator", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.total).not_to_have_text("共 0 条")
    members.fill("姓名", member.name)
    members.search()
    expect(members.total).to_have_text("共 0 条")
    page.goto(f"/console/members?name={member.name}")
    expect(members.total).to_have_text("共 0 条")
    expect(page.get_by_text(re.escape(member.name))).to_have_count(0)
