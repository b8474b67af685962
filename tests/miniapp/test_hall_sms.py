"""服务大厅 phone binding by SMS: the Tencent Cloud SDK against the SMS sandbox over HTTP
(TC3 signatures checked there), codes hashed at rest, single use, limits on a pinned clock."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.clock import freeze_today
from tests.world import build_world
from unioncard.extensions import db
from unioncard.kvstore import store
from unioncard.security.crypto import blind_index
from unioncard.selfservice.models import MemberUser

from .hall_helpers import bearer, hall_login
from .helpers import API, TODAY, live

MOBILE = "13912345678"


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def send(client, headers, mobile=MOBILE, ip="127.0.0.1"):
    return client.post(f"{API}/me/phone/sms", json={"mobile": mobile}, headers=headers,
                       environ_base={"REMOTE_ADDR": ip})  # fmt: skip


def last_code(env, mobile=MOBILE) -> str:
    sent = env.boxes.sms.for_mobile(mobile)
    assert sent, "the sandbox recorded no SMS"
    code, minutes = sent[0]["params"]
    assert minutes == "5"
    return code


def bind(client, headers, code, mobile=MOBILE):
    return client.post(f"{API}/me/phone", json={"mobile": mobile, "sms_code": code},
                       headers=headers)  # fmt: skip


def _all_stored() -> str:
    kv = store()
    if hasattr(kv, "client"):
        return "\n".join(f"{k}={kv.client.get(k)}" for k in kv.client.keys("*"))
    return "\n".join(f"{k}={v[0]}" for k, v in kv._data.items())


def test_a_code_by_sms_binds_the_mobile_once_and_is_stored_hashed(
    client, world, monkeypatch, caplog
):
    caplog.set_level(logging.INFO)
    with live(client.application, monkeypatch) as env:
        headers = bearer(hall_login(client, "demo-hall-sms1"))
        r = send(client, headers)
        assert r.status_code == 200, r.get_json()
        assert r.get_json() == {"mobile": "139****5678", "expires_in": 300, "resend_in": 60}
        code = last_code(env)
        assert len(code) == 6 and code.isdigit()
        stored = _all_stored()
        assert code not in stored and MOBILE not in stored  # hashed, keyed by blind index
        assert blind_index("mobile", MOBILE) in stored
        wrong = "000000" if code != "000000" else "111111"
        r = bind(client, headers, wrong)
        assert r.status_code == 422 and "验证码错误" in r.get_json()["message"]
        r = bind(client, headers, code)
        assert r.status_code == 200, r.get_json()
        assert r.get_json() == {"mobile": "139****5678"}
        user = db.session.query(MemberUser).one()
        assert user.mobile == MOBILE and user.mobile_bidx == blind_index("mobile", MOBILE)
        again = bind(client, headers, code)  # single use
        assert again.status_code == 422 and "请先获取短信验证码" in again.get_json()["message"]
        assert MOBILE not in caplog.text  # masked in the logs
        assert "139****5678" in caplog.text


def test_a_code_is_only_for_the_user_and_mobile_it_was_sent_to(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        alice = bearer(hall_login(client, "demo-hall-sms2"))
        bob = bearer(hall_login(client, "demo-hall-sms3"))
        assert send(client, alice).status_code == 200
        code = last_code(env)
        assert bind(client, bob, code).status_code == 422
        assert bind(client, alice, code, mobile="13912340000").status_code == 422
        assert bind(client, alice, code).status_code == 200


def test_codes_expire_after_five_minutes(client, world, monkeypatch, time_machine):
    freeze_today(time_machine, TODAY)
    with live(client.application, monkeypatch) as env:
        headers = bearer(hall_login(client, "demo-hall-sms4"))
        assert send(client, headers).status_code == 200
        code = last_code(env)
        time_machine.shift(timedelta(minutes=5, seconds=5))
        r = bind(client, headers, code)
        assert r.status_code == 422 and "已过期" in r.get_json()["message"]
        # a new code works (the minute has long passed)
        assert send(client, headers).status_code == 200
        assert bind(client, headers, last_code(env)).status_code == 200


def test_one_code_a_minute_and_ten_a_day_per_mobile(client, world, monkeypatch, time_machine):
    freeze_today(time_machine, TODAY)
    with live(client.application, monkeypatch) as env:
        headers = bearer(hall_login(client, "demo-hall-sms5"))
        assert send(client, headers).status_code == 200
        r = send(client, headers)
        assert r.status_code == 429 and "秒后再试" in r.get_json()["message"]
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # another WeChat user asking for the same mobile waits too (the limit is the mobile's)
        other = bearer(hall_login(client, "demo-hall-sms6"))
        assert send(client, other).status_code == 429
        for _ in range(9):
            time_machine.shift(timedelta(seconds=61))
            assert send(client, headers).status_code == 200
        assert len(env.boxes.sms.for_mobile(MOBILE)) == 10
        time_machine.shift(timedelta(seconds=61))
        r = send(client, headers)
        assert r.status_code == 429 and "今日" in r.get_json()["message"]
        assert len(env.boxes.sms.for_mobile(MOBILE)) == 10
        assert send(client, headers, mobile="13912345679").status_code == 200  # another mobile


def test_codes_per_ip_are_limited(client, world, monkeypatch):
    monkeypatch.setitem(client.application.config, "SMS_IP_LIMIT", 3)
    with live(client.application, monkeypatch) as env:
        headers = bearer(hall_login(client, "demo-hall-sms7"))
        for n in range(3):
            assert send(client, headers, mobile=f"1391234560{n}", ip="10.1.2.3").status_code == 200
        r = send(client, headers, mobile="13912345609", ip="10.1.2.3")
        assert r.status_code == 429 and "获取验证码过于频繁" in r.get_json()["message"]
        assert send(client, headers, mobile="13912345609", ip="10.1.2.4").status_code == 200
        assert len(env.boxes.sms.messages) == 4


def test_wrong_codes_void_the_code(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        headers = bearer(hall_login(client, "demo-hall-sms8"))
        assert send(client, headers).status_code == 200
        code = last_code(env)
        wrong = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, 6)]
        for guess in wrong[:4]:
            assert bind(client, headers, guess).status_code == 422
        r = bind(client, headers, wrong[4])
        assert r.status_code == 429 and "错误次数过多" in r.get_json()["message"]
        r = bind(client, headers, code)  # even the right code no longer works
        assert r.status_code == 422
        assert db.session.query(MemberUser).one().mobile is None


def test_bad_input_and_provider_refusals_answer_in_chinese(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        headers = bearer(hall_login(client, "demo-hall-sms9"))
        r = send(client, headers, mobile="1234")
        assert r.status_code == 422 and "11位" in r.get_json()["message"]
        r = client.post(f"{API}/me/phone", json={"mobile": MOBILE}, headers=headers)
        assert r.status_code == 422 and "sms_code" in str(r.get_json()["errors"])
        r = bind(client, headers, "12ab56")
        assert r.status_code == 422 and "6 位数字" in r.get_json()["message"]
        r = send(client, headers, mobile="13900000000")  # the sandbox: daily limit at Tencent
        assert r.status_code == 422 and "无法发送" in r.get_json()["message"]
        env.boxes.sms.fail_next(1)
        r = send(client, headers, mobile="13912345670")
        assert r.status_code == 503 and "短信服务暂时无法使用" in r.get_json()["message"]
        # nothing was sent: the member may try again at once
        assert send(client, headers, mobile="13912345670").status_code == 200
        monkeypatch.setitem(client.application.config, "SMS_SECRET_KEY", "a-wrong-key")
        r = send(client, headers, mobile="13912345671")
        assert r.status_code == 503  # the sandbox checked the TC3 signature and refused
