"""操作日志 in Chromium: the audit of the clerk's scope with before/after, filtered by what;
a clerk of a sibling union does not see it."""

from __future__ import annotations

from datetime import UTC

from playwright.sync_api import expect
from sqlalchemy import select

from tests.clock import SHANGHAI
from unioncard.accounts.scope import Scope
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.members import services as members
from unioncard.members.models import Member

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import ListScreen, LoginPage, Shell


def test_audit_shows_before_and_after_in_scope_only(page):
    clerk = account("jm_operator")
    member = db.session.scalars(
        select(Member).where(Member.org_id == clerk.org_id).order_by(Member.id)
    ).first()
    before = member.work_address
    members.update_member(
        Scope.for_account(clerk), member.id, {"work_address": "上海市杨浦区国定路335号"}
    )
    db.session.commit()

    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("操作日志")
    audit = ListScreen(page, "操作日志列表")
    audit.choose("操作", "修改会员信息")
    audit.search()
    expect(audit.total).to_have_text("共 1 条")
    expect(audit.rows.first).to_contain_text(f"work_address：{before} → 上海市杨浦区国定路335号")
    expect(audit.rows.first).to_contain_text("建明工会经办")
    # stored in UTC, shown in Beijing time whatever the browser's zone
    at = db.session.scalars(
        select(AuditRecord.at).where(AuditRecord.action == "member.update")
    ).one()
    shown = at.replace(tzinfo=UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    expect(audit.rows.first).to_contain_text(shown)
    assert_accessible(page)
    screenshot(page, "audit")
    kept = page.url

    Shell(page).sign_out()
    login = LoginPage(page)
    expect(login.submit).to_be_visible()
    login.sign_in("gh_operator", PASSWORD)
    expect(
        page.get_by_role("heading", name="业务工作台 · 上海国华广场物业管理有限公司工会委员会")
    ).to_be_visible()
    page.goto(kept)
    expect(audit.total).to_have_text("共 0 条")
