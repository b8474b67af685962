"""A list whose total the API stopped counting: the pager says "共 N+ 条", not a false number,
and 选择全部 says the same."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.extensions import db
from unioncard.members.models import Member, MemberStatus

from .conftest import PASSWORD, assert_accessible
from .pages import LoginPage, MembersScreen, Shell


def test_a_capped_total_is_shown_as_such(page, demo_world, monkeypatch):
    monkeypatch.setitem(demo_world.config, "LIST_COUNT_CAP", 40)  # the demo city has 150+
    LoginPage(page).open().sign_in("city_admin", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.total).to_have_text("共 40+ 条")
    assert_accessible(page)

    # fewer than the cap match: the exact number again
    waiting = db.session.scalar(
        select(func.count()).select_from(Member).where(Member.status == MemberStatus.UNREVIEWED)
    )
    assert 0 < waiting < 40
    members.choose("状态", "未审核")
    members.search()
    expect(members.total).to_have_text(f"共 {waiting} 条")
