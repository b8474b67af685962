"""Staff login under attack: floods, parallel guesses, username probing, captcha, IP limits.

The floods run against a live werkzeug server on 127.0.0.1 (port 0) with real threads.
"""

from __future__ import annotations

import base64
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from PIL import Image
from sqlalchemy import select

from bench.flood import worst_latency_during
from integrations.sandboxes import ServerThread
from tests.world import PASSWORD, build_world
from unioncard.accounts import captcha, throttle
from unioncard.accounts.models import StaffAccount
from unioncard.audit.models import AuditRecord
from unioncard.config import ConfigError, load_config
from unioncard.extensions import db

LOGIN = "/api/admin/v1/auth/login"
CAPTCHA = "/api/admin/v1/auth/captcha"
BYPASS = "test-captcha-pass"


@pytest.fixture()
def world(ctx):
    world = build_world()
    db.session.commit()
    return world


@pytest.fixture()
def bypass(app, monkeypatch):
    monkeypatch.setitem(app.config, "CAPTCHA_BYPASS", BYPASS)
    return BYPASS


@pytest.fixture()
def live(app, world):
    with ServerThread(app) as server:
        server.server.socket.listen(1024)  # room for the whole flood in the accept queue
        yield server.url


def _together(count: int, call):
    """Run ``call(i)`` in ``count`` threads released at the same moment; answers in order."""
    barrier = threading.Barrier(count)
    answers = [None] * count

    def run(i):
        barrier.wait()
        answers[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def _post(url, body, ip=None):
    r = requests.post(url + LOGIN, json=body, timeout=60)
    return r.status_code, r.json(), r.headers


def test_parallel_guesses_reach_the_account_exactly_max_times(app, live, bypass, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_HASH_WAIT_MS", 60_000)  # count, never refuse busy
    monkeypatch.setitem(app.config, "LOGIN_HASH_QUEUE", 100)
    body = {"username": "ga1_operator", "password": "wrong-guess", "captcha_code": bypass}
    answers = _together(24, lambda i: _post(live, body)[:2])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [401] * 4 + [423] * 20
    assert all("锁定" in b["message"] for s, b in answers if s == 423)
    locks = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "account.locked")
    ).all()
    assert len(locks) == 1
    # the right password is refused too until the lock ends
    status, answer, _ = _post(live, {**body, "password": PASSWORD})
    assert status == 423


def test_a_flood_of_wrong_logins_does_not_starve_other_requests(app, live, bypass, monkeypatch):
    # production hashing costs, and the IP limit out of the way: the semaphore alone holds
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 3)
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_COST", 65536)
    monkeypatch.setitem(app.config, "LOGIN_IP_LIMIT", 10_000)
    bodies = [
        {
            "username": "ga1_operator" if i % 10 == 0 else f"nobody{i}",
            "password": f"guess-{i}",
            "captcha_code": bypass,
        }
        for i in range(200)
    ]
    # baseline, same run: what 200 connections at once cost this (shared) machine anyway
    baseline, _ = worst_latency_during(live, "/healthz", bodies)
    worst, answers = worst_latency_during(live, LOGIN, bodies)
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {401, 423, 503}, statuses
    busy = [(body, headers) for status, body, headers in answers if status == 503]
    assert busy, "the hash semaphore never refused a request"
    assert all(body["message"] == "登录请求过多，请稍后再试" for body, _ in busy)
    assert all(headers["Retry-After"] == "1" for _, headers in busy)
    # Before the bound the service froze for about 17 s. Speed itself is not asserted in a
    # test (house rule: benchmarks measure speed, and this machine is shared); this bound
    # only catches a return of the freeze. Measured figures: README, 登录安全.
    assert worst < max(10.0, 5 * baseline), (worst, baseline)


def test_a_full_queue_refuses_a_login_before_reading_it(app, client, world, bypass, monkeypatch):
    # one hash slot, no queue: while a hash runs, a newcomer is refused before its body is
    # parsed, its username counted or the database asked (the flood's cheap path)
    monkeypatch.setitem(app.config, "LOGIN_HASH_CONCURRENCY", 1)
    monkeypatch.setitem(app.config, "LOGIN_HASH_QUEUE", 0)
    gate = throttle._gate()
    assert not gate.full()
    body = {"username": "ga1_operator", "password": "wrong-guess", "captcha_code": bypass}
    assert gate.acquire(timeout=0)  # a hash in progress holds the only slot
    try:
        assert gate.full()
        broken = client.post(LOGIN, data="{not json", content_type="application/json")
        assert broken.status_code == 503, broken.get_json()
        assert broken.get_json()["message"] == "登录请求过多，请稍后再试"
        assert broken.headers["Retry-After"] == "1"
        assert broken.headers["X-Request-ID"]  # still an answer of ours, logged and traced
        assert client.post(LOGIN, json=body).status_code == 503
        assert throttle._count(throttle._user_key("ga1_operator")) == 0  # not an attempt
        assert client.get("/livez").status_code == 200
    finally:
        gate.release()
    assert not gate.full()
    assert client.post(LOGIN, data="{not json", content_type="application/json").status_code in (
        400,
        422,
    )
    assert client.post(LOGIN, json=body).status_code == 401
    assert throttle._count(throttle._user_key("ga1_operator")) == 1


def test_known_and_unknown_usernames_get_identical_answers(client, world, bypass):
    def attempts(username, ip):
        seen = []
        for with_captcha in (False, False, False, True, True, True, True):
            body = {"username": username, "password": "wrong"}
            if with_captcha:
                body["captcha_code"] = bypass
            r = client.post(LOGIN, json=body, environ_base={"REMOTE_ADDR": ip})
            seen.append((r.status_code, r.get_json(), r.headers.get("Retry-After")))
        return seen

    real = attempts("ga1_operator", "10.0.0.1")
    unknown = attempts("no_such_clerk", "10.0.0.2")
    assert real == unknown
    assert [status for status, _, _ in real] == [401, 401, 401, 401, 401, 423, 423]
    assert real[0][1]["message"] == "用户名或密码错误"
    assert real[0][1]["errors"] == {}
    assert real[1][1]["errors"] == {"captcha_code": ["下次登录须填写图形验证码"]}  # 2nd failure
    assert "验证码" in real[2][1]["message"]  # the third, without one, is not even counted


def test_lock_window_starts_at_the_failure_that_locks(client, world, bypass):
    moment = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        for _ in range(5):
            r = client.post(
                LOGIN, json={"username": "ga1_operator", "password": "x", "captcha_code": bypass}
            )
        assert r.status_code == 423
        assert "15 分钟" in r.get_json()["message"]
    account = db.session.get(StaffAccount, world.accounts["ga1_operator"].id)
    db.session.refresh(account)
    locked_until = account.locked_until.replace(tzinfo=account.locked_until.tzinfo or UTC)
    assert locked_until == moment + timedelta(minutes=15)
    assert account.failed_logins == 0


def test_captcha_is_an_image_used_once(client, world, app):
    r = client.get(CAPTCHA)
    assert r.status_code == 200
    issued = r.get_json()
    assert issued["expires_in"] == app.config["CAPTCHA_TTL_SECONDS"]
    header, _, data = issued["image"].partition(",")
    assert header == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.format == "PNG" and image.size == (160, 60)
    wrong = {"username": "ga1_operator", "password": "x"}
    for _ in range(2):
        client.post(LOGIN, json=wrong)
    # required now; a guessed code is refused and burns that captcha
    r = client.post(
        LOGIN, json={**wrong, "captcha_id": issued["captcha_id"], "captcha_code": "AAAA"}
    )
    assert r.status_code == 401
    assert "验证码错误" in r.get_json()["message"]
    assert set(r.get_json()["errors"]) == {"captcha_code"}
    # the right answer lets one attempt through, once
    known = captcha.issue("127.0.0.1", code="K7PX")
    solved = {**wrong, "captcha_id": known["captcha_id"], "captcha_code": "k7px"}
    third = client.post(LOGIN, json=solved)
    assert third.status_code == 401 and third.get_json()["message"] == "用户名或密码错误"
    again = client.post(LOGIN, json={**solved, "password": PASSWORD})
    assert again.status_code == 401 and "验证码错误" in again.get_json()["message"]
    fresh = captcha.issue("127.0.0.1", code="M4RT")
    right = {"username": "ga1_operator", "password": PASSWORD, "captcha_id": fresh["captcha_id"]}
    assert client.post(LOGIN, json={**right, "captcha_code": "M4RT"}).status_code == 200
    account = db.session.get(StaffAccount, world.accounts["ga1_operator"].id)
    db.session.refresh(account)
    assert account.failed_logins == 0 and account.last_login_at is not None


def test_captcha_required_attempts_do_not_count(client, world):
    wrong = {"username": "ga1_operator", "password": "x"}
    for _ in range(10):
        client.post(LOGIN, json=wrong)
    account = db.session.get(StaffAccount, world.accounts["ga1_operator"].id)
    db.session.refresh(account)
    assert account.failed_logins == 2 and account.locked_until is None


def test_login_attempts_per_ip_are_limited(client, world, app):
    limit = app.config["LOGIN_IP_LIMIT"]
    with time_machine.travel(datetime(2027, 3, 1, 1, 0, 10, tzinfo=UTC), tick=False):
        answers = [
            client.post(LOGIN, json={"username": f"user{i}", "password": "x"})
            for i in range(limit + 1)
        ]
    assert {r.status_code for r in answers[:limit]} == {401}
    assert answers[-1].status_code == 429
    assert answers[-1].get_json()["message"] == "登录请求过多，请稍后再试"
    assert answers[-1].headers["Retry-After"] == "50"
    other = client.post(
        LOGIN,
        json={"username": "ga1_operator", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 200


def test_production_refuses_a_captcha_bypass():
    with pytest.raises(ConfigError) as exc:
        load_config({"ENV": "production", "CAPTCHA_BYPASS": "1234"}, environ={})
    assert "CAPTCHA_BYPASS" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        load_config({"ENV": "production"}, environ={})
    assert "CAPTCHA_BYPASS" not in str(exc.value)
