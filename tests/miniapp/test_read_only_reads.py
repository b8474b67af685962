"""The mini-program's hot reads (GET /me, GET /card/application) run without a transaction
(``@read_only``: no BEGIN/COMMIT round trips), refuse any write, and leave other requests
alone; pooled PostgreSQL connections are checked without a ping per checkout."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event, select, text, update

from tests.world import autocommit, build_world, login, member_of
from unioncard.extensions import MEMBER_READS, db
from unioncard.selfservice import profile, tokens
from unioncard.selfservice.models import MemberUser

from .helpers import API, wait_until

API_ADMIN = "/api/admin/v1"


@pytest.fixture()
def member_headers(ctx):
    world = build_world(members_per_union=1)
    member = member_of(world.org("gA1"))
    user = MemberUser(openid="ro-1", member_id=member.id, name=member.name,
                      id_type=member.id_type, id_number=member.id_number,
                      id_number_bidx=member.id_number_bidx, mobile=member.mobile,
                      mobile_bidx=member.mobile_bidx, token_version=0)  # fmt: skip
    db.session.add(user)
    db.session.commit()
    token, _ = tokens.issue(user.id, 0)
    user_id = user.id
    db.session.commit()  # reading user.id began a transaction: a request would share it
    return {"Authorization": f"Bearer {token}"}, user_id


@pytest.fixture()
def statements():
    """(autocommit?, statement) of every statement the engine runs."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((autocommit(conn), statement.split()[0].upper()))

    engines = set(db.engines.values())  # PostgreSQL: the member reads' pool too
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    yield seen
    for engine in engines:
        event.remove(engine, "before_cursor_execute", record)


def test_hot_reads_run_in_autocommit_and_other_requests_in_a_transaction(
    client, member_headers, statements
):
    headers, _ = member_headers
    for path in ("/me", "/card/application"):
        statements.clear()
        r = client.get(f"{API}{path}", headers=headers)
        assert r.status_code in (200, 404), r.get_json()  # no application yet: 404
        assert statements and all(auto for auto, _ in statements), (path, statements)
    statements.clear()
    r = client.post(f"{API}/me/phone", headers=headers, json={"mobile": "1", "sms_code": "1"})
    assert r.status_code == 422
    assert statements and not any(auto for auto, _ in statements), statements
    statements.clear()
    assert client.get(f"{API}/messages", headers=headers).status_code == 200
    assert statements and not any(auto for auto, _ in statements), statements
    # the shared test session is back to normal transactions afterwards
    assert not autocommit(db.session.connection())


@pytest.mark.parametrize(
    "write",
    [
        lambda user: setattr(user, "name", "改名"),  # flushed by the next query
        lambda user: db.session.execute(
            update(MemberUser).where(MemberUser.id == user.id).values(name="改名")
        ),
    ],
    ids=["flush", "orm-update"],
)
def test_a_write_in_a_read_only_request_is_refused_and_nothing_is_written(
    client, member_headers, monkeypatch, write
):
    headers, user_id = member_headers
    real = profile.overview

    def writes(user):
        write(user)
        return real(user)

    monkeypatch.setattr(profile, "overview", writes)
    r = client.get(f"{API}/me", headers=headers)
    assert r.status_code == 500
    assert r.get_json()["message"].startswith("系统繁忙")
    db.session.rollback()
    assert db.session.scalar(select(MemberUser.name).where(MemberUser.id == user_id)) != "改名"
    monkeypatch.setattr(profile, "overview", real)
    assert client.get(f"{API}/me", headers=headers).status_code == 200  # the flag is gone


def _pg_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connection pool")


def test_a_connection_the_server_closed_is_replaced_without_an_error(client, member_headers):
    _pg_only()
    headers, _ = member_headers
    db.session.remove()
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    db.session.remove()  # every connection of this process is back in the pool, idle
    admin = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as other:
        killed = [
            pid
            for (pid,) in other.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
        assert killed
        for pid in killed:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        wait_until(
            lambda: (
                not other.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (killed,)
                ).fetchone()
            )
        )
    for _ in range(3):  # each pooled connection in turn is found dead and replaced
        r = client.get(f"{API}/me", headers=headers)
        assert r.status_code == 200, r.get_json()
        r = client.get(f"{API}/card/application", headers=headers)
        assert r.status_code == 404, r.get_json()


def test_an_idle_connection_is_pinged_and_a_busy_one_is_not(
    app, client, member_headers, monkeypatch
):
    _pg_only()
    headers, _ = member_headers
    pings = []
    dialect = db.engines[MEMBER_READS].dialect  # GET /me runs on the member reads' pool
    real = dialect.do_ping

    def ping(dbapi_connection):
        pings.append(dbapi_connection)
        if len(pings) == 1:
            raise psycopg.OperationalError("the network dropped it")
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", ping)
    db.session.remove()
    for engine in db.engines.values():  # one fresh connection each (earlier tests may have
        engine.dispose()  # left several, some idle for longer than the threshold)
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    assert pings == []  # a connection just opened (or just used) is not pinged
    app.config["DATABASE_PING_AFTER_IDLE"] = 0
    try:
        db.session.remove()
        assert client.get(f"{API}/me", headers=headers).status_code == 200
        # the first ping failed: that connection was dropped, its fresh replacement served
        assert len(pings) >= 1 and pings[0].closed
    finally:
        app.config["DATABASE_PING_AFTER_IDLE"] = 10


def test_staff_requests_get_custom_plans_the_member_reads_generic_ones(client, member_headers):
    """Staff requests never run on the member reads' pool: nothing of theirs is prepared, so
    PostgreSQL plans each execution for its own parameters (tests/api/test_city_lists.py),
    while the member's own reads, by key, are prepared and may keep one generic plan."""
    _pg_only()
    headers, _ = member_headers
    reads = db.engines[MEMBER_READS]
    db.session.remove()
    for engine in (db.engine, reads):  # one connection each from here on (earlier tests
        engine.dispose()  # may have left several): its prepared statements are all of them
    engines = []

    def record(conn, cursor, statement, parameters, context, executemany):
        engines.append(conn.engine)

    for engine in (db.engine, reads):
        event.listen(engine, "before_cursor_execute", record)
    try:
        staff = login(client, "city_admin")
        engines.clear()
        for _ in range(12):
            assert client.get(f"{API_ADMIN}/members?page_size=5", headers=staff).status_code == 200
        assert engines and set(engines) == {db.engine}
        engines.clear()
        for _ in range(12):
            assert client.get(f"{API}/me", headers=headers).status_code == 200
        assert engines and set(engines) == {reads}
    finally:
        for engine in (db.engine, reads):
            event.remove(engine, "before_cursor_execute", record)
    plans = text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
    assert db.session.execute(plans).all() == []  # staff: nothing prepared, so no generic plan
    with reads.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
        member_plans = conn.execute(plans).all()
    assert any(generic for s, generic, _ in member_plans if s.startswith("SELECT member_user"))
