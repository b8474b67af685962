"""Shared set-up for the mini-program tests: the app and every sandbox (bank, registers,
WeChat) on loopback, and short-cuts along the member's path.

``live(app, monkeypatch)`` serves the app over HTTP and points WECHAT_API_BASE_URL, the bank
and the registers at their sandboxes; ``member_login(client, code)`` logs a WeChat user in
through the real wechatpy client and returns the Authorization header.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from integrations.sandboxes import Sandboxes, ServerThread, start_sandboxes
from integrations.wechat.client import EXTENSION_KEY
from tests.cards.helpers import TODAY, rid, wait_until
from tests.world import login
from unioncard.extensions import db

API = "/api/miniapp/v1"
__all__ = [
    "API",
    "TODAY",
    "Live",
    "bind",
    "join_and_approve",
    "live",
    "login",
    "member_login",
    "rid",
    "wait_until",
]


@dataclass
class Live:
    url: str  # the app, served over HTTP
    boxes: Sandboxes

    @property
    def wechat(self):
        return self.boxes.wechat


@contextmanager
def live(app, monkeypatch):
    server = ServerThread(app)
    # stopping waits for the requests in flight (a browser's among them): none may still hold
    # a database connection when the next test resets the database
    server.server.daemon_threads = False
    server.server.block_on_close = True
    cfg = app.config
    boxes = start_sandboxes(
        callback_base_url=server.url,
        client_id=cfg["BANK_CLIENT_ID"],
        client_secret=cfg["BANK_CLIENT_SECRET"],
        bank_id="BOC-SH",
        bank_secret=cfg["BANK_CALLBACK_SECRETS"]["BOC-SH"],
        result_delay=0.05,
        event_delay=0.05,
        today=TODAY,
        wechat_app_id=cfg["WECHAT_APP_ID"],
        wechat_app_secret=cfg["WECHAT_APP_SECRET"],
        wechat_oa_app_id=cfg["WECHAT_OA_APP_ID"],
        wechat_oa_app_secret=cfg["WECHAT_OA_APP_SECRET"],
    )
    monkeypatch.setitem(cfg, "BANK_API_URL", boxes.bank_url)
    monkeypatch.setitem(cfg, "WECHAT_OAUTH_BASE_URL", boxes.oauth_url)
    monkeypatch.setitem(cfg, "SMS_API_ENDPOINT", boxes.sms_endpoint)
    monkeypatch.setitem(cfg, "SMS_API_SCHEME", "http")
    monkeypatch.setitem(cfg, "HALL_URL", server.url + "/hall/")
    monkeypatch.setitem(cfg, "POPULATION_API_URL", boxes.population_url)
    monkeypatch.setitem(cfg, "SOCIAL_SECURITY_API_URL", boxes.social_security_url)
    monkeypatch.setitem(cfg, "WECHAT_API_BASE_URL", boxes.wechat_url)
    storage = app.extensions.get(EXTENSION_KEY)
    if storage is not None and hasattr(storage, "clear"):
        storage.clear()  # tokens of an earlier test's sandbox (Redis is flushed per test)
    try:
        yield Live(server.url, boxes)
    finally:
        boxes.stop()
        server.stop()


def member_login(client, code: str | None = None) -> dict:
    """Log in with a sandbox code (``demo-…``); returns the Authorization header."""
    code = code or f"demo-{uuid.uuid4().hex[:12]}"
    response = client.post(f"{API}/auth/login", json={"code": code})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def bind(client, headers: dict, name: str, id_number: str, mobile: str, **identity) -> dict:
    """Bind phone and identity; returns the profile."""
    r = client.post(f"{API}/me/phone", json={"phone_code": f"phone-{mobile}"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    body = {"name": name, "id_type": "身份证", "id_number": id_number} | identity
    r = client.post(f"{API}/me/identity", json=body, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def join_and_approve(client, headers: dict, union_id: int, staff: str = "ga2_operator") -> dict:
    """Apply to the union and have its clerk approve; returns the approved application."""
    r = client.post(
        f"{API}/membership/applications",
        json={
            "union_id": union_id,
            "source": "灵活就业",
            "work_unit_address": "上海市杨浦区国定路1号",
        },
        headers=headers,
    )
    assert r.status_code == 201, r.get_json()
    staff_headers = login(client, staff)
    r = client.post(
        f"/api/admin/v1/join-applications/{r.get_json()['id']}/approve", headers=staff_headers
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def assert_nowhere_in_database(secrets: list[str]) -> None:
    """PIPL: none of ``secrets`` is stored in clear in any table (raw stored values)."""
    db.session.rollback()
    dump = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f"SELECT * FROM {table.name}")).all()  # stored values
        dump[table.name] = "\n".join(str(v) for row in rows for v in row)
    assert sum(map(len, dump.values())) > 1000  # the member, the user, the card, the log...
    for secret in secrets:
        leaks = [name for name, stored in dump.items() if secret in stored]
        assert not leaks, f"{secret[:4]}… stored in clear in {leaks}"
