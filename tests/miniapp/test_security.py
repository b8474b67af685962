"""Member tokens, rate limits, Idempotency-Key and data separation of the mini-program API."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.world import build_world
from unioncard.cards.models import CardBatch, OutboxStatus
from unioncard.extensions import db
from unioncard.selfservice import ratelimit
from unioncard.selfservice.models import CardApplication, JoinApplication, MemberUser

from .helpers import API, bind, join_and_approve, live, member_login, rid


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def test_no_token_expired_and_revoked_tokens_get_401(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        r = client.get(f"{API}/me")
        assert r.status_code == 401 and set(r.get_json()) == {"code", "status", "message", "errors"}
        assert client.get(f"{API}/me", headers={"Authorization": "Bearer nope"}).status_code == 401

        headers = member_login(client, "demo-tok")
        assert client.get(f"{API}/me", headers=headers).status_code == 200
        refreshed = client.post(f"{API}/auth/refresh", headers=headers)
        assert refreshed.status_code == 200
        new = {"Authorization": f"Bearer {refreshed.get_json()['token']}"}
        assert client.get(f"{API}/me", headers=headers).status_code == 401  # the old one
        assert client.get(f"{API}/me", headers=new).status_code == 200
        assert client.post(f"{API}/auth/logout", headers=new).status_code == 200
        gone = client.get(f"{API}/me", headers=new)
        assert gone.status_code == 401 and "重新登录" in gone.get_json()["message"]

        headers = member_login(client, "demo-tok")
        user = db.session.query(MemberUser).filter_by(openid=_openid("demo-tok")).one()
        user.token_version += 1  # e.g. the account was unbound: every token stops at once
        db.session.commit()
        assert client.get(f"{API}/me", headers=headers).status_code == 401

        monkeypatch.setitem(client.application.config, "MINIAPP_TOKEN_TTL", 1)
        short = member_login(client, "demo-tok")
        assert client.get(f"{API}/me", headers=short).status_code == 200
        time.sleep(2.1)
        assert client.get(f"{API}/me", headers=short).status_code == 401


def _openid(code):
    from integrations.wechat.sandbox import openid_for

    return openid_for(code, "wxdemo0000000000")


def test_rate_limits_on_login_and_posts(client, world, monkeypatch):
    cfg = client.application.config
    monkeypatch.setitem(cfg, "MINIAPP_LOGIN_LIMIT", 3)
    monkeypatch.setitem(cfg, "MINIAPP_POST_LIMIT", 2)
    window = cfg["MINIAPP_RATE_WINDOW"]
    now = 1_800_000_000 // window * window + 20.5  # 20.5 s into a window
    monkeypatch.setattr(ratelimit, "clock", lambda: now)
    with live(client.application, monkeypatch):
        for _ in range(3):
            headers = member_login(client, "demo-rate")
        r = client.post(f"{API}/auth/login", json={"code": "demo-rate"})
        assert r.status_code == 429
        assert r.get_json()["message"] == "操作过于频繁，请稍后再试"
        assert r.headers["Retry-After"] == str(int(window - 20.5))  # the rest of the window
        for _ in range(2):
            ok = client.post(
                f"{API}/me/phone", json={"phone_code": "phone-13812345678"}, headers=headers
            )
            assert ok.status_code == 200
        r = client.post(
            f"{API}/me/phone", json={"phone_code": "phone-13812345678"}, headers=headers
        )
        assert r.status_code == 429 and r.get_json()["message"] == "操作过于频繁，请稍后再试"
        assert client.get(f"{API}/me", headers=headers).status_code == 200  # reads are not limited


def test_idempotency_key_repeat_returns_the_first_answer(client, world, monkeypatch):
    union = world.org("gA2")
    with live(client.application, monkeypatch):
        headers = member_login(client)
        bind(client, headers, "郑幂等", rid("181"), "13500000001")
        key = {"Idempotency-Key": "join-1"}
        failed = client.post(
            f"{API}/membership/applications",
            json={"union_id": world.org("gA1").id, "source": "灵活就业"},
            headers=headers | key,
        )
        assert failed.status_code == 404  # an error is not kept: nothing was done
        body = {"union_id": union.id, "source": "灵活就业"}
        first = client.post(f"{API}/membership/applications", json=body, headers=headers | key)
        assert first.status_code == 201
        second = client.post(f"{API}/membership/applications", json=body, headers=headers | key)
        assert second.status_code == 201
        assert second.get_json() == first.get_json()
        assert second.headers["Idempotent-Replayed"] == "true"
        assert db.session.query(JoinApplication).count() == 1
        other = client.post(
            f"{API}/membership/applications",
            json=body | {"source": "企业外入会"},
            headers=headers | key,
        )
        assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["message"]
        without = client.post(f"{API}/membership/applications", json=body, headers=headers)
        assert without.status_code == 409  # without a key it is a new request: refused


def test_idempotency_key_concurrent_repeats_do_the_work_once(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        headers = member_login(client)
        bind(client, headers, "钱并发", rid("191"), "13500000002", id_expiry="2036-05-31")
        join_and_approve(client, headers, world.org("gA2").id)
        db.session.commit()
        body = {
            "branch_code": f"B{world.org('dA').id:04d}",
            "mailing_address": "上海市杨浦区国定路1号",
            "id_expiry": "2036-05-31",
        }
        answers = []
        barrier = threading.Barrier(6)

        def post():
            barrier.wait()
            answers.append(
                requests.post(
                    f"{env.url}{API}/card/applications",
                    json=body,
                    headers=headers | {"Idempotency-Key": "card-once"},
                    timeout=30,
                )
            )

        threads = [threading.Thread(target=post) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        db.session.rollback()
        assert db.session.query(CardApplication).count() == 1
        assert db.session.query(CardBatch).count() <= 1
        ok = [a for a in answers if a.status_code == 201]
        busy = [a for a in answers if a.status_code == 409]
        assert len(ok) + len(busy) == 6 and ok
        assert len({a.json()["id"] for a in ok}) == 1
        assert all(a.json()["message"] == "请求正在处理中，请稍后再试" for a in busy)


def _card_member(client, world, seq, name, mobile):
    headers = member_login(client)
    bind(client, headers, name, rid(seq), mobile, id_expiry="2036-05-31")
    join_and_approve(client, headers, world.org("gA2").id)
    return headers


CARD = {"mailing_address": "上海市杨浦区国定路1号", "id_expiry": "2036-05-31"}


def test_cancel_while_checking_and_while_queued_but_not_after_sending(client, world, monkeypatch):
    app = client.application
    branch = {"branch_code": f"B{world.org('dA').id:04d}"}
    with live(app, monkeypatch):
        checking = _card_member(client, world, "201", "孙校验", "13500000003")
        rare = _card_member(client, world, "203", "𠮷冬", "13500000004")
        sent = _card_member(client, world, "205", "𠮷夏", "13500000005")

        monkeypatch.setitem(app.config, "TASK_MODE", "off")  # nothing runs after the commit
        r = client.post(f"{API}/card/applications", json=CARD | branch, headers=checking)
        assert r.get_json()["status"] == "校验中" and r.get_json()["verification"] == "校验中"
        r = client.post(f"{API}/card/application/cancel", headers=checking)
        assert r.status_code == 200 and r.get_json()["status"] == "已取消"
        assert r.get_json()["card_status"] == "未办卡"
        assert r.get_json()["log"][-1]["action"] == "移出待办"

        r = client.post(f"{API}/card/applications", json=CARD | branch, headers=rare)
        assert r.get_json()["status"] == "已提交银行" and r.get_json()["batch_status"] == "待发送"
        r = client.post(f"{API}/card/application/cancel", headers=rare)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["batch_status"] == "已撤销" and r.get_json()["card_status"] == "未办卡"
        outbox = db.session.query(CardBatch).one()
        assert outbox.status.value == "已撤销"
        from unioncard.cards.models import BankOutbox

        assert db.session.query(BankOutbox).one().status == OutboxStatus.FAILED

        monkeypatch.setitem(app.config, "TASK_MODE", "eager")  # delivered right after commit
        r = client.post(f"{API}/card/applications", json=CARD | branch, headers=sent)
        assert r.status_code == 201
        view = client.get(f"{API}/card/application", headers=sent).get_json()
        assert view["batch_status"] in ("已发送", "已反馈")
        r = client.post(f"{API}/card/application/cancel", headers=sent)
        assert r.status_code == 409
        assert r.get_json()["message"].startswith("办卡申请已发送银行，不能取消")


def test_cancel_after_the_bank_answered_says_it_was_sent(client, world, monkeypatch):
    """The bank may answer before the member taps 取消: the card is no longer 办卡中, and the
    answer is the same "已发送银行" refusal as while it is being sent."""
    from unioncard.cards.models import CardStatus, MemberCard

    app = client.application
    branch = {"branch_code": f"B{world.org('dA').id:04d}"}
    with live(app, monkeypatch):
        headers = _card_member(client, world, "207", "𠮷秋", "13500000006")
        monkeypatch.setitem(app.config, "TASK_MODE", "off")
        r = client.post(f"{API}/card/applications", json=CARD | branch, headers=headers)
        assert r.get_json()["status"] == "已提交银行"
        application = db.session.query(CardApplication).one()
        card = db.session.query(MemberCard).filter_by(member_id=application.member_id).one()
        card.status = CardStatus.ISSUED  # what the bank's answer leaves
        db.session.commit()
        r = client.post(f"{API}/card/application/cancel", headers=headers)
        assert r.status_code == 409
        assert r.get_json()["message"] == "办卡申请已发送银行，不能取消；如需撤销请联系所在工会"
        db.session.expire_all()
        assert db.session.get(CardApplication, application.id).status.value == "已提交银行"


def test_a_member_sees_only_their_own_data(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        alice = _card_member(client, world, "211", "艾丽", "13500000006")
        r = client.post(
            f"{API}/card/applications",
            json=CARD | {"branch_code": f"B{world.org('dA').id:04d}"},
            headers=alice,
        )
        assert r.status_code == 201
        bob = member_login(client)
        assert client.get(f"{API}/card/application", headers=bob).status_code == 404
        assert client.get(f"{API}/membership/applications/current", headers=bob).status_code == 404
        me = client.get(f"{API}/me", headers=bob).get_json()
        assert me["profile"]["name"] is None and me["membership"] is None and me["card"] is None
        assert client.post(f"{API}/card/application/cancel", headers=bob).status_code == 404
        alice_me = client.get(f"{API}/me", headers=alice).get_json()
        assert alice_me["profile"]["name"] == "艾丽"
        assert "*" in alice_me["profile"]["id_number"] and "*" in alice_me["profile"]["mobile"]
