"""账号管理 in Chromium: a district admin creates an account (one-time password shown once),
the new clerk must change it at first login; reset password and disable."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.models_base import utcnow

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import AccountsScreen, LoginPage, PasswordPage, Shell


def test_create_reset_and_disable_accounts(page):
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    Shell(page).go("账号管理")
    accounts = AccountsScreen(page)
    expect(accounts.row("jm_operator")).to_be_visible()
    expect(accounts.rows.filter(has_text="gb_operator")).to_have_count(0)  # 长宁: not in scope
    assert_accessible(page)
    screenshot(page, "accounts")

    password = accounts.create(
        "jm_clerk2", "建明第二经办", "上海建明信息科技有限公司工会委员会", "经办人"
    )
    assert len(password) >= 8
    accounts.close_secret()
    expect(accounts.row("jm_clerk2")).to_contain_text("经办人")

    accounts.row_action("gh_operator", "停用")
    accounts.confirm()
    expect(accounts.row("gh_operator")).to_contain_text("已停用")
    db.session.expire_all()
    assert account("gh_operator").active is False

    accounts.row_action("jm_operator", "重置密码")
    expect(accounts.confirmation).to_contain_text(
        "确认重置账号 jm_operator（建明工会经办）的密码？"
    )
    accounts.confirm()
    assert accounts.secret_password() not in ("", PASSWORD)
    accounts.close_secret()

    Shell(page).sign_out()
    login = LoginPage(page)
    expect(login.submit).to_be_visible()
    login.sign_in("jm_clerk2", password)
    expect(PasswordPage(page).heading).to_be_visible()
    PasswordPage(page).change(password, "Clerk2@2026x")
    expect(login.submit).to_be_visible()
    login.sign_in("jm_clerk2", "Clerk2@2026x")
    expect(page.get_by_role("heading", name=re.compile("业务工作台 · 上海建明"))).to_be_visible()


def test_the_union_above_unlocks_a_locked_account(page):
    locked = account("gh_operator")
    locked.failed_logins, locked.locked_until = 0, utcnow() + timedelta(minutes=15)
    db.session.commit()
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    Shell(page).go("账号管理")
    accounts = AccountsScreen(page)
    expect(accounts.row("gh_operator")).to_contain_text("已锁定")
    expect(accounts.row("jm_operator")).not_to_contain_text("已锁定")
    accounts.row_action("gh_operator", "解除锁定")
    expect(accounts.confirmation).to_contain_text("确认解除账号 gh_operator")
    accounts.confirm()
    expect(accounts.row("gh_operator")).to_contain_text("正常")
    assert_accessible(page)
    db.session.expire_all()
    assert account("gh_operator").locked_until is None
    stmt = select(AuditRecord).where(AuditRecord.action == "account.unlock")
    assert [r.target_ids for r in db.session.scalars(stmt)] == [[locked.id]]
