"""服务大厅 web login: the official account's OAuth through wechatpy against the WeChat
sandbox, the state bound to the browser, the code exchanged once, one person one user."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.wechat.sandbox import openid_for, unionid_for
from tests.clock import freeze_today
from tests.world import build_world
from unioncard.extensions import db
from unioncard.selfservice.models import Channel, MemberUser

from .hall_helpers import authorize, bearer, hall_login, wechat_redirect
from .helpers import API, TODAY, bind, live, rid


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def test_oauth_login_gives_a_member_token_and_redirects_into_the_hall(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        cfg = client.application.config
        url = authorize(client, env.url + "/hall/card?from=menu")
        query = parse_qs(urlsplit(url).query)
        assert url.startswith(env.boxes.oauth_url + "oauth2/authorize?")
        assert query["appid"] == [cfg["WECHAT_OA_APP_ID"]]
        assert query["scope"] == ["snsapi_base"]
        assert query["redirect_uri"] == [env.url + "/hall/card?from=menu"]
        back = wechat_redirect(url, "demo-hall-carol")
        assert back["location"].startswith(env.url + "/hall/card?from=menu&code=")
        r = client.post(f"{API}/auth/oauth", json={"code": back["code"], "state": back["state"]})
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert body["bound"] is False and body["is_member"] is False
        assert body["expires_in"] == cfg["MINIAPP_TOKEN_TTL"]
        me = client.get(f"{API}/me", headers=bearer(body))
        assert me.status_code == 200 and me.get_json()["bound"] is False
        user = db.session.query(MemberUser).one()
        assert user.oa_openid == openid_for("demo-hall-carol", cfg["WECHAT_OA_APP_ID"])
        assert user.openid is None
        assert user.unionid == unionid_for("demo-hall-carol")
        assert user.channel == Channel.HALL
        # the same person again: the same user, a new token
        again = hall_login(client, "demo-hall-carol")
        assert again["token"] != body["token"]
        assert db.session.query(MemberUser).count() == 1
        assert all(h.startswith("127.0.0.1:") for h in env.wechat.hosts)


def test_a_replayed_code_or_state_is_refused(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        back = wechat_redirect(authorize(client), "demo-hall-dave")
        first = client.post(
            f"{API}/auth/oauth", json={"code": back["code"], "state": back["state"]}
        )
        assert first.status_code == 200
        # the same state again (its cookie is gone; even with it, a state works once)
        replay = client.post(
            f"{API}/auth/oauth", json={"code": back["code"], "state": back["state"]}
        )
        assert replay.status_code == 422
        assert "重新进入服务大厅" in replay.get_json()["message"]
        # the used code with a fresh state of this browser: WeChat refuses it (40163)
        fresh = wechat_redirect(authorize(client), "demo-hall-dave")
        used = client.post(
            f"{API}/auth/oauth", json={"code": back["code"], "state": fresh["state"]}
        )
        assert used.status_code == 422
        assert "code" in used.get_json()["errors"]
        assert "授权码无效或已使用" in used.get_json()["message"]
        # that fresh state was spent on the refused code: it does not work a second time
        again = client.post(
            f"{API}/auth/oauth", json={"code": fresh["code"], "state": fresh["state"]}
        )
        assert again.status_code == 422


def test_a_state_from_another_browser_a_forged_or_an_old_one_is_refused(
    client, world, monkeypatch, time_machine
):
    freeze_today(time_machine, TODAY)
    with live(client.application, monkeypatch):
        other = client.application.test_client()  # another browser: its own cookie jar
        theirs = wechat_redirect(authorize(other), "demo-hall-erin")
        authorize(client)  # this browser has a cookie of its own
        r = client.post(
            f"{API}/auth/oauth", json={"code": theirs["code"], "state": theirs["state"]}
        )
        assert r.status_code == 422 and "state" in str(r.get_json()["errors"])
        # the other browser can still use its own (nothing was spent by the refusal)
        ok = other.post(
            f"{API}/auth/oauth", json={"code": theirs["code"], "state": theirs["state"]}
        )
        assert ok.status_code == 200
        mine = wechat_redirect(authorize(client), "demo-hall-erin")
        ident, issued, mac = mine["state"].split(".")
        forged = f"{ident}.{int(issued) + 1}.{mac}"
        r = client.post(f"{API}/auth/oauth", json={"code": mine["code"], "state": forged})
        assert r.status_code == 422
        no_cookie = client.application.test_client()
        r = no_cookie.post(f"{API}/auth/oauth", json={"code": mine["code"], "state": mine["state"]})
        assert r.status_code == 422
        time_machine.shift(timedelta(seconds=client.application.config["HALL_OAUTH_STATE_TTL"] + 5))
        r = client.post(f"{API}/auth/oauth", json={"code": mine["code"], "state": mine["state"]})
        assert r.status_code == 422
        assert db.session.query(MemberUser).count() == 1


def test_redirect_outside_the_hall_is_refused(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        for target in ("https://evil.example/hall/", env.url + "/console/", env.url + "/hall/../x"):
            r = client.get(f"{API}/auth/oauth/authorize-url", query_string={"redirect": target})
            assert r.status_code == 422, target
            assert "服务大厅" in r.get_json()["message"]
        r = client.get(f"{API}/auth/oauth/authorize-url", query_string={"scope": "snsapi_login"})
        assert r.status_code == 422


@pytest.mark.parametrize("hall_first", [True, False])
def test_the_same_wechat_user_is_one_member_whichever_way_they_come(
    client, world, monkeypatch, hall_first
):
    person = "demo-hall-frank"
    with live(client.application, monkeypatch):
        if hall_first:
            hall = hall_login(client, person)
            mini = client.post(f"{API}/auth/login", json={"code": person}).get_json()
        else:
            mini = client.post(f"{API}/auth/login", json={"code": person}).get_json()
            hall = hall_login(client, person)
        user = db.session.query(MemberUser).one()
        cfg = client.application.config
        assert user.openid == openid_for(person, cfg["WECHAT_APP_ID"])
        assert user.oa_openid == openid_for(person, cfg["WECHAT_OA_APP_ID"])
        assert user.unionid == unionid_for(person)
        # what one channel binds, the other sees
        bind(client, bearer(mini), "王芳", rid("002", "19900101"), "13812340001")
        me = client.get(f"{API}/me", headers=bearer(hall)).get_json()
        assert me["bound"] is True
        assert me["profile"]["mobile"] == "138****0001"


def test_without_unionid_each_app_has_its_own_user(client, world, monkeypatch):
    """An official account not bound to the open platform: WeChat gives no unionid, so the
    hall's user and the mini-program's are two; the ID number binds to the first only."""
    person = "demo-hall-nounion-grace"
    with live(client.application, monkeypatch):
        mini = bearer(client.post(f"{API}/auth/login", json={"code": person}).get_json())
        hall = bearer(hall_login(client, person))
        users = db.session.query(MemberUser).order_by(MemberUser.id).all()
        assert len(users) == 2 and all(u.unionid is None for u in users)
        assert users[0].openid and users[0].oa_openid is None
        assert users[1].oa_openid and users[1].openid is None
        id_number = rid("003", "19900101")
        bind(client, mini, "李娜", id_number, "13812340002")
        r = client.post(f"{API}/me/phone", json={"phone_code": "phone-13812340002"}, headers=hall)
        assert r.status_code == 200
        r = client.post(f"{API}/me/identity", headers=hall,
                        json={"name": "李娜", "id_type": "身份证", "id_number": id_number})  # fmt: skip
        assert r.status_code == 409
        assert "已绑定其他微信账号" in r.get_json()["message"]


def test_production_refuses_the_halls_development_settings_and_the_pay_sheet():
    from unioncard.config import ConfigError, load_config

    with pytest.raises(ConfigError) as exc:
        load_config({"ENV": "production"}, environ={})
    for key in ("UNIONCARD_WECHAT_OA_APP_SECRET", "UNIONCARD_SMS_SECRET_KEY",
                "UNIONCARD_HALL_URL (https)"):  # fmt: skip
        assert key in str(exc.value)
    assert "HALL_PAY_SHEET_URL" not in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        load_config({"ENV": "production", "HALL_PAY_SHEET_URL": "http://127.0.0.1:5104/x"},
                    environ={})  # fmt: skip
    assert "UNIONCARD_HALL_PAY_SHEET_URL（沙箱收银台，生产环境不得设置）" in str(exc.value)


def test_snsapi_userinfo_takes_the_unionid_from_sns_userinfo(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        back = wechat_redirect(authorize(client, scope="snsapi_userinfo"), "demo-hall-heidi")
        r = client.post(f"{API}/auth/oauth", json={"code": back["code"], "state": back["state"]})
        assert r.status_code == 200, r.get_json()
        user = db.session.query(MemberUser).one()
        assert user.unionid == unionid_for("demo-hall-heidi")
        # the unionid came with the user's own web token: the account's token was never needed
        assert env.wechat.token_fetches == 0
