"""Test set-up: a real database (SQLite by default, PostgreSQL when
``UNIONCARD_TEST_DATABASE_URL`` is set) migrated once per session with Alembic, a clean
database for every test, and Redis when ``UNIONCARD_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from unioncard import create_app
from unioncard.extensions import db

PG_URL = os.environ.get("UNIONCARD_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("UNIONCARD_TEST_REDIS_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch):
    """Any connection outside loopback fails the test."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise AssertionError(f"outbound network access in a test: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _config(tmp: Path) -> dict:
    url = PG_URL or f"sqlite:///{tmp / 'test.db'}"
    return {
        "ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "TASK_MODE": "eager",
        # cheap hashing keeps the suite fast; production uses the defaults in config.py
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
    }


@pytest.fixture(scope="session")
def app():
    tmp = Path(tempfile.mkdtemp(prefix=f"unioncard-{WORKER}-"))
    application = create_app(_config(tmp))
    with application.app_context():
        if PG_URL:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.session.remove()
        db.engine.dispose()
    if not PG_URL:
        shutil.copy(tmp / "test.db", tmp / "template.db")
    application.config["_TEST_TMP"] = tmp
    yield application
    shutil.rmtree(tmp, ignore_errors=True)


def _reset(application) -> None:
    with application.app_context():
        db.session.remove()
        if PG_URL:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        f"TRUNCATE {tables}, alembic_version RESTART IDENTITY CASCADE".replace(
                            ", alembic_version", ""
                        )
                    )
                )
        else:
            db.engine.dispose()
            tmp = application.config["_TEST_TMP"]
            for suffix in ("-wal", "-shm"):
                (tmp / f"test.db{suffix}").unlink(missing_ok=True)
            shutil.copy(tmp / "template.db", tmp / "test.db")
        if REDIS_URL:
            application.extensions["unioncard.kv"].client.flushdb()
        else:
            application.extensions["unioncard.kv"]._data.clear()


@pytest.fixture()
def ctx(app):
    """A clean database and an app context for one test."""
    _reset(app)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture()
def client(ctx):
    return ctx.test_client()
