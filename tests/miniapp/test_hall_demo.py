"""The demo's WeChat users of the service hall: the sandbox's authorize page offers them,
and the registry ones are the same members in the hall as in the mini-program (unionid)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from integrations.wechat.people import DEMO_WECHAT_PEOPLE
from integrations.wechat.sandbox import create_wechat_sandbox
from unioncard.demo.seed import seed_demo
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.selfservice.models import MemberUser

from .hall_helpers import bearer, hall_login
from .helpers import API, live


def test_the_authorize_page_lets_a_visitor_pick_a_demo_user():
    app = create_wechat_sandbox(app_id="wxmini", app_secret="s1", oa_app_id="wxoa",
                                oa_app_secret="s2", demo_people=DEMO_WECHAT_PEOPLE)  # fmt: skip
    query = {"appid": "wxoa", "redirect_uri": "http://127.0.0.1:5000/hall/",
             "response_type": "code", "scope": "snsapi_base", "state": "s"}  # fmt: skip
    page = app.test_client().get("/connect/oauth2/authorize?" + urlencode(query))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for person, label in DEMO_WECHAT_PEOPLE:
        assert label in text and f"person={person}" in text
    # the mini-program's AppID has no web authorization
    wrong = app.test_client().get(
        "/connect/oauth2/authorize?" + urlencode(query | {"appid": "wxmini"})
    )
    assert wrong.status_code == 400


def test_demo_registry_people_are_the_same_members_in_the_hall(client, ctx, monkeypatch):
    seed_demo("Demo@2026", today=date(2026, 11, 23), members=20)
    db.session.commit()
    with live(client.application, monkeypatch):
        member = hall_login(client, "demo-hall-member")
        assert member["is_member"] is True and member["bound"] is True
        me = client.get(f"{API}/me", headers=bearer(member)).get_json()
        assert me["membership"]["union"] == "上海市杨浦区新就业形态劳动者工会联合会"
        assert me["membership"]["source"] == "灵活就业"
        assert me["profile"]["mobile"] == "137****0001"
        retired = hall_login(client, "demo-hall-retired")
        assert retired["is_member"] is True
        linked = db.session.get(Member, db.session.query(MemberUser).filter(
            MemberUser.name == "演示吴退休").one().member_id)  # fmt: skip
        assert linked.birth_date == date(1960, 1, 1)  # past 60: retired by the register
        new = hall_login(client, "demo-hall-new")
        assert new["is_member"] is False and new["bound"] is False
        # the registry people entered the hall on their mini-program accounts: no new users
        assert db.session.query(MemberUser).count() == 3
