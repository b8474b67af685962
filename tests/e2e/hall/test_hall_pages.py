"""The service hall beyond the main path: a member never sees another member's data, the
API's refusals in plain words, the large-font and high-contrast modes (适老化), and the
size of the first load (what the browser requests, gzipped)."""

from __future__ import annotations

import gzip

from playwright.sync_api import expect

from tests.cards.helpers import rid
from tests.miniapp.helpers import API, join_and_approve

from .conftest import PEOPLE, assert_accessible, screenshot
from .pages import Card, Hall, Identity, Login

FIRST_LOAD_LIMIT = 200 * 1024  # bytes of JS + CSS, gzipped


def _sign_in(page, label: str) -> Hall:
    Login(page).open("/hall/").sign_in_as(label)
    hall = Hall(page)
    expect(page.get_by_role("heading", name="下一步")).to_be_visible()
    return hall


def _token(page) -> dict:
    token = page.evaluate("() => sessionStorage.getItem('unioncard.hall.token')")
    assert token
    return {"Authorization": f"Bearer {token}"}


def _sms_bind(client, hall, headers, mobile):
    r = client.post(f"{API}/me/phone/sms", json={"mobile": mobile}, headers=headers)
    assert r.status_code == 200, r.get_json()
    code = hall.boxes.sms.for_mobile(mobile)[0]["params"][0]
    r = client.post(f"{API}/me/phone", json={"mobile": mobile, "sms_code": code}, headers=headers)
    assert r.status_code == 200, r.get_json()


def test_a_member_never_sees_another_members_data(phone, hall, world, client):
    # A: a member with a card application, set up through the API on the hall's own token
    first = phone()
    _sign_in(first, PEOPLE[0][1])
    a = _token(first)
    _sms_bind(client, hall, a, "13700019501")
    r = client.post(f"{API}/me/identity", headers=a,
                    json={"name": "甲会员", "id_type": "身份证", "id_number": rid("195")})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    member_no = join_and_approve(client, a, world.org("gA2").id)["member_no"]
    r = client.post(f"{API}/card/applications", headers=a, json={
        "branch_code": f"B{world.org('dA').id:04d}",
        "mailing_address": "上海市杨浦区国定路1号", "id_expiry": "2036-05-31"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    Hall(first).open("/hall/")
    expect(Hall(first).cell("会员编号")).to_contain_text(member_no)

    # B: another WeChat user in another browser sees none of it, on any page
    second = phone()
    b = _sign_in(second, PEOPLE[1][1])
    expect(b.cell("会员状态")).to_contain_text("尚未入会")
    for path in ("/hall/", "/hall/card", "/hall/join", "/hall/insurance", "/hall/messages"):
        b.open(path)
        expect(second.locator("main")).to_be_visible()
        expect(b.title).not_to_have_text("登录")
        second.wait_for_load_state("networkidle")
        text = second.locator("body").inner_text()
        assert "甲会员" not in text and member_no not in text and "8 9501" not in text, path
    Card(second).open("/hall/card")
    expect(second.get_by_role("heading", name="申请会员服务卡")).to_be_visible()
    expect(Card(second).timeline).to_have_count(0)
    # and the API answers B about B only
    other = _token(second)
    assert client.get(f"{API}/card/application", headers=other).status_code == 404
    assert client.get(f"{API}/me", headers=other).get_json()["membership"] is None


def test_refusals_are_shown_in_plain_words_and_other_papers_ask_for_more(phone, hall):
    page = phone()
    _sign_in(page, PEOPLE[0][1])
    identity = Identity(page).open("/hall/identity")
    expect(page.get_by_label("国家/地区", exact=True)).to_have_count(0)
    identity.verify("张三", rid("196"), "2036-05-31")
    expect(identity.alert).to_have_text("请先绑定手机号，再进行实名认证")  # the API's words
    page.get_by_label("证件类型", exact=True).select_option("护照")
    expect(page.get_by_label("国家/地区", exact=True)).to_be_visible()
    expect(page.get_by_label("性别", exact=True)).to_be_visible()
    expect(page.get_by_label("出生日期", exact=True)).to_be_visible()
    assert_accessible(page)

    card = Card(page).open("/hall/card")
    expect(page.get_by_text("成为工会会员后才能申请会员服务卡")).to_be_visible()
    page.get_by_role("button", name="提交办卡申请", exact=True).click()
    expect(card.alert.first).to_be_visible()
    assert_accessible(page)


def test_large_font_and_high_contrast_modes(phone, hall):
    page = phone()
    home = _sign_in(page, PEOPLE[0][1])
    title = home.cell("绑定手机").locator(".van-cell__title")
    normal = float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    page.get_by_role("switch", name="大字模式", exact=True).click()
    expect(page.locator("html")).to_have_class("hall-large")
    larger = float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert larger >= normal + 4
    page.get_by_role("switch", name="高对比度", exact=True).click()
    expect(page.locator("html")).to_have_class("hall-large hall-contrast")
    assert_accessible(page)
    screenshot(page, "home-large")
    page.reload()  # kept on this phone
    expect(page.locator("html")).to_have_class("hall-large hall-contrast")
    expect(page.get_by_role("switch", name="大字模式", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )


def test_the_first_load_is_at_most_200_kb_of_js_and_css_gzipped(phone, hall):
    page = phone()
    loaded: dict[str, int] = {}

    def record(response):
        url = response.url.split("?", 1)[0]
        if url.endswith((".js", ".css")) and "/hall/" in url and response.status == 200:
            loaded[url] = len(gzip.compress(response.body(), 6))

    page.on("response", record)
    # from the first visit through the login to the home page: everything the browser fetched
    _sign_in(page, PEOPLE[0][1])
    page.wait_for_load_state("networkidle")
    assert any(u.endswith(".js") for u in loaded) and any(u.endswith(".css") for u in loaded)
    total = sum(loaded.values())
    assert total <= FIRST_LOAD_LIMIT, f"{total} bytes gzipped: {sorted(loaded.items())}"
