"""Staff login, tokens, forced password change, lock-out, resets by the upper union."""

from __future__ import annotations

import pytest

from tests.world import PASSWORD, build_world, login
from unioncard.accounts.models import StaffAccount
from unioncard.extensions import db

LOGIN = "/api/admin/v1/auth/login"


@pytest.fixture()
def world(ctx):
    return build_world()


@pytest.fixture()
def bypass(app, monkeypatch):
    """The testing captcha code (production refuses to start with one)."""
    monkeypatch.setitem(app.config, "CAPTCHA_BYPASS", "test-captcha-pass")
    return "test-captcha-pass"


def test_login_and_me(client, world):
    headers = login(client, "ga1_operator")
    me = client.get("/api/admin/v1/auth/me", headers=headers).get_json()
    assert me["username"] == "ga1_operator"
    assert me["org"]["name"] == "测试甲一公司工会委员会"
    assert "password_hash" not in me
    # the console builds its menu from the role's permissions
    assert "member.import" in me["permissions"] and "account.manage" not in me["permissions"]


def test_wrong_password_is_one_chinese_message_and_counts(client, world):
    r = client.post(LOGIN, json={"username": "ga1_operator", "password": "wrong"})
    body = r.get_json()
    assert r.status_code == 401
    assert body["message"].startswith("用户名或密码错误")
    assert set(body) == {"code", "status", "message", "errors"}
    assert db.session.get(StaffAccount, world.accounts["ga1_operator"].id).failed_logins == 1
    unknown = client.post(LOGIN, json={"username": "nobody", "password": "x"}).get_json()
    assert unknown["message"] == "用户名或密码错误"


def test_lockout_after_repeated_failures_then_unlock_by_upper_union(client, world, app, bypass):
    limit = app.config["LOGIN_MAX_FAILURES"]
    wrong = {"username": "ga1_operator", "password": "x", "captcha_code": bypass}
    for _ in range(limit - 1):
        assert client.post(LOGIN, json=wrong).status_code == 401
    locked = client.post(LOGIN, json=wrong)
    assert locked.status_code == 423
    assert "锁定" in locked.get_json()["message"]
    # even the right password is refused while locked
    right = client.post(LOGIN, json={**wrong, "password": PASSWORD})
    assert right.status_code == 423
    # the upper union's admin, at another workstation, unlocks it
    other = {"REMOTE_ADDR": "10.0.0.2"}
    r = client.post(LOGIN, json={"username": "da_admin", "password": PASSWORD}, environ_base=other)
    admin = {"Authorization": f"Bearer {r.get_json()['token']}"}
    account_id = world.accounts["ga1_operator"].id
    assert (
        client.post(f"/api/admin/v1/accounts/{account_id}/unlock", headers=admin).status_code == 200
    )
    # five failures from this IP: the captcha stays required, the account is open again
    assert client.post(LOGIN, json={**wrong, "password": PASSWORD}).status_code == 200


def test_logout_revokes_the_token(client, world):
    headers = login(client, "ga1_operator")
    assert client.post("/api/admin/v1/auth/logout", headers=headers).status_code == 200
    r = client.get("/api/admin/v1/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.get_json()["message"] == "登录已过期或已退出，请重新登录"


def test_missing_and_garbage_tokens_are_401(client, world):
    assert client.get("/api/admin/v1/members").status_code == 401
    r = client.get("/api/admin/v1/members", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401


def test_reset_password_forces_change_and_ends_sessions(client, world):
    old_session = login(client, "ga1_operator")
    admin = login(client, "da_admin")
    account_id = world.accounts["ga1_operator"].id
    r = client.post(f"/api/admin/v1/accounts/{account_id}/reset-password", headers=admin)
    assert r.status_code == 200
    temporary = r.get_json()["temporary_password"]
    assert client.get("/api/admin/v1/auth/me", headers=old_session).status_code == 401
    headers = login(client, "ga1_operator", temporary)
    # everything but the password change is refused until the password is changed
    blocked = client.get("/api/admin/v1/members", headers=headers)
    assert blocked.status_code == 403
    assert "修改密码" in blocked.get_json()["message"]
    weak = client.post(
        "/api/admin/v1/auth/password",
        headers=headers,
        json={"old_password": temporary, "new_password": "short"},
    )
    assert weak.status_code == 422
    assert "至少" in weak.get_json()["message"]
    ok = client.post(
        "/api/admin/v1/auth/password",
        headers=headers,
        json={"old_password": temporary, "new_password": "NewPassw0rd"},
    )
    assert ok.status_code == 200
    # the change ends the session too; the new password works
    assert client.get("/api/admin/v1/members", headers=headers).status_code == 401
    fresh = login(client, "ga1_operator", "NewPassw0rd")
    assert client.get("/api/admin/v1/members", headers=fresh).status_code == 200


def test_new_account_must_change_initial_password(client, world):
    admin = login(client, "da_admin")
    r = client.post(
        "/api/admin/v1/accounts",
        headers=admin,
        json={
            "username": "new_clerk",
            "display_name": "新经办",
            "org_id": world.org("gA2").id,
            "role": "operator",
        },
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["must_change_password"] is True
    headers = login(client, "new_clerk", body["temporary_password"])
    assert client.get("/api/admin/v1/members", headers=headers).status_code == 403


def test_upper_union_cannot_reset_own_org_or_above(client, world):
    admin = login(client, "da_admin")
    peer = world.accounts["da_operator"].id
    r = client.post(f"/api/admin/v1/accounts/{peer}/reset-password", headers=admin)
    assert r.status_code == 403
    above = world.accounts["city_operator"].id
    assert (
        client.post(f"/api/admin/v1/accounts/{above}/reset-password", headers=admin).status_code
        == 404
    )


def test_roles_limit_actions(client, world):
    reviewer = login(client, "ga1_reviewer")
    member_body = {"name": "张三", "id_number": "11010519491231002X", "mobile": "13800001111"}
    r = client.post("/api/admin/v1/members", headers=reviewer, json=member_body)
    assert r.status_code == 403
    operator = login(client, "ga1_operator")
    assert client.get("/api/admin/v1/accounts", headers=operator).status_code == 403


def test_password_is_hashed_with_argon2(world):
    assert world.accounts["ga1_operator"].password_hash.startswith("$argon2id$")


def test_an_account_read_by_the_fast_path_is_the_sessions_own(client, world):
    """A request that starts with nothing loaded reads its account and org in one statement
    (``fastread``); the account is a persistent entity: its org is there without another
    statement, and a change to it (a new password) is written."""
    headers = login(client, "ga1_operator")
    union = world.org("gA1").name
    version = world.accounts["ga1_operator"].token_version
    db.session.commit()
    db.session.expunge_all()
    me = client.get("/api/admin/v1/auth/me", headers=headers).get_json()
    assert (me["username"], me["org"]["name"]) == ("ga1_operator", union)
    db.session.expunge_all()
    r = client.post("/api/admin/v1/auth/password", headers=headers,
                    json={"old_password": PASSWORD, "new_password": "Another#Pass2027"})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    db.session.expunge_all()
    account = db.session.query(StaffAccount).filter_by(username="ga1_operator").one()
    assert account.token_version == version + 1 and account.must_change_password is False
    assert client.get("/api/admin/v1/auth/me", headers=headers).status_code == 401  # ended
    assert login(client, "ga1_operator", "Another#Pass2027")
