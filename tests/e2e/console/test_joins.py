"""会员管理 → 入会审核 in Chromium: a union that accepts individuals approves one application
(the member is registered with a number) and refuses another with a reason, which the
applicant reads through the mini-program API."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from tests.cards.helpers import rid
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.orgs.models import Org
from unioncard.security.crypto import blind_index
from unioncard.selfservice import joins, profile, tokens
from unioncard.selfservice.models import MemberUser

from .conftest import PASSWORD, assert_accessible, screenshot
from .pages import LoginPage, Shell
from .pages_reviews import JoinsScreen

FLEXIBLE = "上海市杨浦区新就业形态劳动者工会联合会"


def _applicant(name: str, seq: str, mobile: str) -> tuple[int, str]:
    """A WeChat user with phone and identity bound who applied to the flexible union;
    returns (user id, a mini-program token)."""
    user = MemberUser(openid=f"e2e-join-{seq}", token_version=0)
    user.mobile, user.mobile_bidx = mobile, blind_index("mobile", mobile)
    db.session.add(user)
    db.session.flush()
    profile.bind_identity(user, {"name": name, "id_type": "身份证", "id_number": rid(seq)})
    union = db.session.scalars(select(Org).where(Org.name == FLEXIBLE)).one()
    joins.apply(user, {"union_id": union.id, "source": "灵活就业"})
    db.session.commit()
    token, _ttl = tokens.issue(user.id, user.token_version)
    return user.id, token


def test_join_applications_approved_and_refused(page, demo_world):
    approved_id, _ = _applicant("入会甲", "911", "13900009101")
    _refused_id, refused_token = _applicant("入会乙", "912", "13900009102")

    LoginPage(page).open().sign_in("flex_operator", PASSWORD)
    Shell(page).go("入会审核")
    screen = JoinsScreen(page)
    expect(screen.row("入会甲")).to_contain_text("待审核")
    expect(screen.row("入会乙")).to_contain_text(FLEXIBLE)
    # numbers masked on screen
    expect(screen.row("入会甲")).to_contain_text("139****9101")
    assert_accessible(page)
    screenshot(page, "joins")

    screen.open_review("入会甲")
    expect(screen.review.dialog).to_contain_text("入会甲 申请加入 " + FLEXIBLE)
    assert_accessible(page)
    screen.review.approve()
    expect(page.get_by_text("已通过 入会甲 的入会申请，会员编号")).to_be_visible()
    expect(screen.rows.filter(has_text="入会甲")).to_have_count(0)  # the list shows 待审核 only

    screen.open_review("入会乙")
    screen.review.dialog.get_by_role("button", name="驳回", exact=True).click()
    screen.review.dialog.get_by_role("button", name="确认驳回", exact=True).click()
    expect(screen.review.dialog.get_by_role("alert")).to_contain_text("请填写驳回原因")
    screen.review.dialog.get_by_label("驳回原因").fill("工作单位不在本区，请向所在区工会申请")
    screen.review.dialog.get_by_role("button", name="确认驳回", exact=True).click()
    expect(page.get_by_text("已驳回 入会乙 的入会申请")).to_be_visible()

    screen.choose("状态", "已驳回")
    screen.search()
    expect(screen.row("入会乙")).to_contain_text("工作单位不在本区，请向所在区工会申请")

    # the member side: the applicant reads the reason through the mini-program API
    answer = page.request.get(
        "/api/miniapp/v1/membership/applications/current",
        headers={"Authorization": f"Bearer {refused_token}"},
    )
    assert answer.ok, answer.text()
    body = answer.json()
    assert body["status"] == "已驳回"
    assert body["reason"] == "工作单位不在本区，请向所在区工会申请"
    # the approved one is a member of the union now, with a number
    db.session.expire_all()
    user = db.session.get(MemberUser, approved_id)
    member = db.session.get(Member, user.member_id)
    assert member.org.name == FLEXIBLE and member.member_no
    assert member.join_date is not None and member.join_date >= date(2026, 1, 1)
