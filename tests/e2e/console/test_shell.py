"""The console's shell in Chromium: 登录, 首页, the menu by role, forced password change,
sign-out, an expired session back to where the clerk was."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.accounts.passwords import hash_password
from unioncard.extensions import db
from unioncard.members.models import Member

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import LoginPage, MembersScreen, PasswordPage, Shell


def test_login_home_menu_and_sign_out(page):
    login = LoginPage(page).open()
    expect(login.submit).to_be_visible()
    assert_accessible(page)
    screenshot(page, "login")
    login.sign_in("jm_operator", "wrong-password")
    expect(login.alert).to_contain_text("用户名或密码错误")
    login.sign_in("jm_operator", PASSWORD)

    shell = Shell(page)
    expect(page.get_by_role("heading", name=re.compile("业务工作台"))).to_be_visible()
    expect(shell.header).to_contain_text("当前数据范围：上海建明信息科技有限公司工会委员会")
    expect(shell.header).to_contain_text("建明工会经办（经办人）")
    # the figures are this clerk's scope: 建明's members only, 3 of them waiting for review
    members = db.session.scalar(
        select(func.count(Member.id)).where(Member.org_id == account("jm_operator").org_id)
    )
    total = db.session.scalar(select(func.count(Member.id)))
    assert 0 < members < total
    expect(page.get_by_role("link", name=f"{members} 会员数")).to_be_visible()
    expect(page.get_by_role("link", name="未审核的会员：3 人")).to_be_visible()
    expect(shell.menu.get_by_text("会员信息")).to_be_visible()
    expect(shell.menu.get_by_text("账号管理")).to_have_count(0)
    assert_accessible(page)

    # the work waiting links to the filtered list
    page.get_by_role("link", name="未审核的会员：3 人").click()
    expect(page).to_have_url(re.compile(r"/console/members\?status=%E6%9C%AA"))
    expect(MembersScreen(page).total).to_have_text("共 3 条")

    # 适老化: the large-font switch is kept across reloads
    small = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    shell.large_font()
    page.reload()
    expect(page.locator("html.uc-large")).to_have_count(1)
    large = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert large > small

    shell.sign_out()
    expect(login.submit).to_be_visible()
    page.goto("/console/members")
    expect(login.submit).to_be_visible()  # the token died with the sign-out


def test_forced_password_change_on_first_login(page):
    clerk = account("gh_operator")
    clerk.must_change_password = True
    clerk.password_hash = hash_password("Initial@2026")
    db.session.commit()

    LoginPage(page).open("/console/members").sign_in("gh_operator", "Initial@2026")
    password = PasswordPage(page)
    expect(password.heading).to_be_visible()
    expect(page.get_by_text("首次登录或密码被重置后，请先修改密码。")).to_be_visible()
    # the menu is out of reach until the password is changed
    page.goto("/console/")
    expect(password.heading).to_be_visible()
    assert_accessible(page)
    screenshot(page, "password")

    password.change("Initial@2026", "Better@2026x", again="Other@2026x")
    expect(password.alert).to_contain_text("两次输入的新密码不一致")
    password.change("Initial@2026", "Better@2026x")

    login = LoginPage(page)
    expect(login.submit).to_be_visible()
    login.sign_in("gh_operator", "Better@2026x")
    expect(page.get_by_role("heading", name=re.compile("业务工作台"))).to_be_visible()
    db.session.expire_all()
    assert account("gh_operator").must_change_password is False


def test_expired_session_returns_to_where_the_clerk_was(page, console):
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("业务工作台"))).to_be_visible()
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    members.choose("状态", "未审核")
    members.search()
    expect(members.total).to_have_text("共 3 条")
    kept = page.url

    # the session ends on the server (expiry, reset by an admin, sign-out elsewhere)
    token = page.evaluate("() => sessionStorage.getItem('unioncard.console.token')")
    response = page.request.post(
        f"{console}/api/admin/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.ok
    members.search()

    login = LoginPage(page)
    expect(login.alert).to_contain_text("登录已过期，请重新登录")
    login.sign_in("jm_operator", PASSWORD)
    expect(page).to_have_url(kept)
    expect(members.total).to_have_text("共 3 条")
