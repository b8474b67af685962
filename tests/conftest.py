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
import time_machine
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import text

from tests.clock import session_destination
from unioncard import create_app
from unioncard.extensions import db

# Hypothesis checks properties, not speed: no per-example deadline (a loaded CI machine would
# fail a correct example), and no example database written into the work tree.
settings.register_profile("unioncard", deadline=None, database=None)
settings.load_profile("unioncard")

PG_URL = os.environ.get("UNIONCARD_TEST_DATABASE_URL")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
REDIS_URL = os.environ.get("UNIONCARD_TEST_REDIS_URL", "")
if REDIS_URL and WORKER.startswith("gw"):
    # one Redis database per xdist worker, counting down from the one given (/15 → 14, 13),
    # so that two runs given different databases never flush each other's
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{(int(_db or 15) - 1 - int(WORKER[2:])) % 16}"


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


def _private_database(base_url: str) -> str:
    """A database of this run's own on the given server, so that concurrent runs (a developer
    and CI, or xdist workers) never truncate each other's tables."""
    import psycopg

    name = f"unioncard_test_{os.getpid()}_{WORKER}".lower()
    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name, name


def _drop_database(base_url: str, name: str) -> None:
    import psycopg

    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _config(tmp: Path, url: str | None) -> dict:
    url = url or f"sqlite:///{tmp / 'test.db'}"
    return {
        "ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "TASK_MODE": "eager",
        # outside parties nobody started for this test refuse the connection (port 9, closed),
        # never whatever listens on the defaults (the sandboxes of a `make run` on this machine)
        "BANK_API_URL": "http://127.0.0.1:9",
        "POPULATION_API_URL": "http://127.0.0.1:9/population",
        "SOCIAL_SECURITY_API_URL": "http://127.0.0.1:9/social-security",
        # cheap hashing keeps the suite fast; production uses the defaults in config.py
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
    }


@pytest.fixture(scope="session", autouse=True)
def session_clock():
    """The whole session's clock moved to ``UNIONCARD_TEST_TODAY`` when it is set (ticking from
    there), so that `make test` proves the suite on a day far from the one it was written."""
    destination = session_destination()
    if destination is None:
        yield None
        return
    with time_machine.travel(destination, tick=True):
        yield destination


@pytest.fixture(scope="session")
def app(session_clock):
    tmp = Path(tempfile.mkdtemp(prefix=f"unioncard-{WORKER}-"))
    url, name = _private_database(PG_URL) if PG_URL else (None, None)
    application = create_app(_config(tmp, url))
    with application.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.session.remove()
        db.engine.dispose()
    if not PG_URL:
        shutil.copy(tmp / "test.db", tmp / "template.db")
    application.config["_TEST_TMP"] = tmp
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if name:
        _drop_database(PG_URL, name)
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
