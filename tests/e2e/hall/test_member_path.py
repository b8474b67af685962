"""A new person's whole path through the service hall at a phone's size, against the sandboxes:
WeChat web login (the sandbox's authorize page), phone by SMS (the code read from the SMS
sandbox), real-name identity, joining a union (approved by the union's clerk through the admin
API), the card (the bank's answer appearing in the progress), personal insurance paid on the
WeChat Pay sandbox's pay sheet and covered after the district's approval; then the same WeChat
user through the mini-program login is the same member."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from tests.cards.helpers import rid
from tests.miniapp.helpers import API
from tests.miniapp.pay_helpers import plan_2026
from tests.world import login
from unioncard.extensions import db
from unioncard.insurance.models import Enrolment
from unioncard.orgs.models import BankBranch, Org

from .conftest import PEOPLE, assert_accessible, screenshot
from .pages import Card, Hall, Identity, Insurance, Join, Login, PaySheet, PhoneBinding

PERSON, LABEL = PEOPLE[0]
MOBILE = "13700018101"
ID_NUMBER = rid("181")


def _sms_code(hall, mobile: str) -> str:
    return hall.boxes.sms.for_mobile(mobile)[0]["params"][0]


def test_a_new_person_logs_in_binds_joins_gets_a_card_and_is_covered(phone, hall, world, client):
    plan = plan_2026(world)
    db.session.commit()
    district = world.org("dA")
    union = world.org("gA2")
    branch = db.session.scalars(
        select(BankBranch).where(BankBranch.code == f"B{district.id:04d}")
    ).one()
    page = phone()

    # 登录: the sandbox's authorize page stands in for WeChat's; pick the new person
    entry = Login(page).open("/hall/")
    expect(page).to_have_url(f"{hall.url}/hall/login?next=/")
    expect(entry.button("微信授权登录")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "login")
    entry.sign_in_as(LABEL)
    home = Hall(page)
    expect(page.get_by_role("heading", name="下一步")).to_be_visible()
    expect(home.button("绑定手机")).to_be_visible()
    expect(home.cell("会员状态")).to_contain_text("尚未入会")
    assert_accessible(page)
    screenshot(page, "home-new")

    # 绑定手机: the code comes from the SMS sandbox; a wrong code first, in plain words
    home.button("绑定手机").click()
    binding = PhoneBinding(page)
    expect(binding.title).to_have_text("绑定手机")
    binding.request_code(MOBILE)
    expect(page.get_by_role("status")).to_contain_text("137****8101")
    binding.bind("000000" if _sms_code(hall, MOBILE) != "000000" else "111111")
    expect(binding.alert).to_be_visible()
    assert_accessible(page)
    binding.bind(_sms_code(hall, MOBILE))

    # 实名认证: a bad check digit is refused with the API's words; then the right number
    identity = Identity(page)
    expect(identity.title).to_have_text("实名认证")
    wrong = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    identity.verify("林大厅", wrong, "2036-05-31")
    expect(identity.alert).to_be_visible()
    expect(page.locator(".van-field__error-message")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "identity")
    identity.verify("林大厅", ID_NUMBER, "2036-05-31")
    expect(page.get_by_role("heading", name="下一步")).to_be_visible()
    expect(home.button("申请入会")).to_be_visible()

    # 申请入会: find the union by district and name, apply; the union's clerk approves
    home.button("申请入会").click()
    join = Join(page)
    join.find(district.name, union.name[:4])
    expect(page.get_by_role("radio", name=union.name, exact=True)).to_be_visible()
    join.apply(union.name, "灵活就业", "上海市杨浦区国定路1号")
    expect(join.cell("申请状态")).to_contain_text("待审核")
    assert_accessible(page)
    screenshot(page, "join")
    staff = login(client, "ga2_operator")
    pending = client.get("/api/admin/v1/join-applications?status=待审核", headers=staff)
    [application] = pending.get_json()
    approved = client.post(
        f"/api/admin/v1/join-applications/{application['id']}/approve", headers=staff
    )
    assert approved.status_code == 200, approved.get_json()
    member_no = approved.get_json()["member_no"]
    page.reload()
    expect(join.cell("申请状态")).to_contain_text("已通过")
    expect(join.cell("会员编号").first).to_contain_text(member_no)

    # 申请办卡: branch by district, address, ID expiry; the bank's answer appears in the progress
    join.go("办卡")
    card = Card(page)
    expect(card.title).to_have_text("申请办卡")
    card.apply(district.name, branch.name, "上海市杨浦区国定路1号 2号楼", "2036-05-31")
    expect(card.timeline).to_be_visible()
    expect(card.stage("校验")).to_contain_text("已完成")
    expect(card.stage("银行结果")).to_contain_text("已完成", timeout=30_000)
    expect(card.cell("卡号")).to_contain_text("6231********")
    assert_accessible(page)
    screenshot(page, "card")

    # 个人参保: enrol, pay on the sandbox's pay sheet, back in the hall; the district approves
    card.go("参保")
    insurance = Insurance(page)
    expect(insurance.button(f"参加{plan.name}")).to_be_visible()
    expect(page.get_by_text("￥13.00").first).to_be_visible()
    assert_accessible(page)
    insurance.enrol(plan.name)
    sheet = PaySheet(page)
    expect(sheet.heading).to_be_visible()
    expect(page.get_by_text("￥13.00")).to_be_visible()
    screenshot(page, "pay-sheet")
    sheet.confirm()
    expect(page).to_have_url(f"{hall.url}/hall/insurance", timeout=30_000)  # back, confirmed
    enrolment = insurance.enrolment(2026, plan.name)
    expect(enrolment).to_contain_text("已支付")
    expect(enrolment).to_contain_text("区局确认中")
    db.session.rollback()
    submission_id = db.session.scalars(select(Enrolment.submission_id)).one()
    r = client.post(
        "/api/admin/v1/insurance/review/instant/approve",
        json={"submission_ids": [submission_id]},
        headers=login(client, "da_reviewer"),
    )
    assert r.status_code == 200, r.get_json()
    page.reload()
    expect(enrolment).to_contain_text("已完成")
    expect(enrolment).to_contain_text("2026-11-23 至 2026-12-31")
    assert_accessible(page)
    screenshot(page, "insurance")

    # 首页: membership, card and this year's coverage at a glance
    insurance.go("首页")
    expect(home.cell("会员编号")).to_contain_text(member_no)
    expect(home.cell("办卡状态")).not_to_contain_text("未办卡")
    expect(home.cell("保障类型")).to_contain_text(plan.name)
    expect(page.get_by_role("heading", name="下一步")).to_have_count(0)
    screenshot(page, "home-member")

    # 消息: what was sent to this member
    home.go("消息")
    expect(page.locator(".van-cell").first).to_be_visible()
    expect(page.get_by_text("个人参保：已完成")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "messages")

    # the same WeChat user through the mini-program's login is the same member
    mini = client.post(f"{API}/auth/login", json={"code": PERSON}).get_json()
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {mini['token']}"})
    assert me.get_json()["membership"]["member_no"] == member_no
    assert me.get_json()["profile"]["mobile"] == "137****8101"
    assert db.session.scalar(select(Org.id).where(Org.id == union.id)) == union.id
