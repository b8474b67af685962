"""Degrade cleanly: Redis refusing or hanging and the database gone answer a Chinese 503
within two seconds; /readyz names the part that failed while /livez still answers."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import create_engine

from tests.world import PASSWORD, build_world, login
from unioncard.extensions import db
from unioncard.kvstore import RedisStore

BUSY = "系统繁忙，请稍后再试"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens once it is closed


@pytest.fixture()
def hanging_port():
    """A listener that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture()
def world(ctx):
    world = build_world(members_per_union=1)
    db.session.commit()
    return world


def _point_redis_at(app, monkeypatch, port: int) -> None:
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.extensions, "unioncard.kv", RedisStore(url, app.config))


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_busy(response, elapsed):
    assert response.status_code == 503, response.get_data(as_text=True)
    body = response.get_json()
    assert body["message"] == BUSY
    assert body["code"] == 503 and body["errors"] == {}
    text = response.get_data(as_text=True)
    assert "redis" not in text.lower() and "database" not in text.lower()
    assert elapsed < 2.0, elapsed


@pytest.mark.parametrize("kind", ["refusing", "hanging"])
def test_redis_down_answers_503_fast(app, client, world, monkeypatch, hanging_port, kind, caplog):
    headers = login(client, "ga1_operator")  # a token taken while Redis still answered
    port = _closed_port() if kind == "refusing" else hanging_port
    _point_redis_at(app, monkeypatch, port)

    for call in (
        lambda: client.get("/api/admin/v1/members", headers=headers),
        lambda: client.post(
            "/api/admin/v1/auth/login", json={"username": "ga1_operator", "password": PASSWORD}
        ),
    ):
        _assert_busy(*_timed(call))
    assert "dependency unavailable: redis" in caplog.text  # what is down: the log only

    response, elapsed = _timed(lambda: client.get("/readyz"))
    assert response.status_code == 503 and elapsed < 2.5
    assert response.get_json()["checks"] == {"database": "正常", "redis": "不可用"}
    assert client.get("/livez").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_database_gone_answers_503_fast(app, client, world, monkeypatch, caplog):
    headers = login(client, "ga1_operator")
    gone = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone",
        connect_args={"connect_timeout": 1},
    )
    db.session.remove()
    monkeypatch.setitem(db._app_engines[app], None, gone)
    try:
        _assert_busy(*_timed(lambda: client.get("/api/admin/v1/members", headers=headers)))
        assert "dependency unavailable: database" in caplog.text
        response, elapsed = _timed(lambda: client.get("/readyz"))
        assert response.status_code == 503 and elapsed < 2.5
        assert response.get_json()["checks"]["database"] == "不可用"
        assert client.get("/livez").get_json() == {"status": "ok"}
    finally:
        db.session.remove()
        gone.dispose()


def test_ready_when_everything_answers(client, world):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert set(body["checks"].values()) == {"正常"}
    assert "database" in body["checks"]


def test_not_ready_when_not_migrated_to_head(app, client, world, monkeypatch):
    monkeypatch.setitem(app.extensions, "unioncard.alembic_heads", {"a_newer_revision"})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "未迁移到最新版本"
