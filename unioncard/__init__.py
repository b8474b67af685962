"""工会会员服务卡平台: the core package (domain, persistence, tasks) and its app factory."""

from __future__ import annotations

import select
import time
from pathlib import Path
from types import FunctionType

import flask_swagger_ui
from flask import Flask, send_from_directory
from flask.sessions import SessionInterface
from marshmallow import fields
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.types import TypeDecorator

from .config import load_config
from .extensions import MEMBER_READS, db, migrate
from .openapi import Api

SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app; ``overrides`` win over the environment (tests). Never migrates.

    Callable more than once in a process (tests, the benchmarks): each app gets its own
    ``Api`` (OpenAPI document), and the blueprints are only registered, never changed."""
    app = App(__name__, static_folder=None)
    app.config.update(load_config(overrides))
    if not app.config.get("TASK_MODE"):
        app.config["TASK_MODE"] = "celery" if app.config["CELERY_BROKER_URL"] else "thread"
    app.json.ensure_ascii = False
    # No cookie session anywhere (staff and members carry bearer tokens): Flask's default
    # built a signing serializer on every request to open an empty one
    app.session_interface = NoCookieSession()
    from . import observability

    observability.configure_logging(app.config)

    _init_database(app)
    from . import kvstore, tasks_runtime
    from .security import crypto

    crypto.init_keyring(app)
    kvstore.init_store(app)
    tasks_runtime.init_celery(app)
    # `make run` (TASK_MODE thread) has no celery beat: the schedule runs in-process,
    # started by the first request (never by a CLI command); other modes return at once
    app.before_request(lambda: tasks_runtime.start_local_beat(app) and None)
    _import_models()
    _import_tasks()

    api = Api(app)
    app.extensions["unioncard.api"] = api  # this app's OpenAPI document (guards, tests)
    # amounts are exact decimals and answered as strings ("13.00"): say so in the OpenAPI
    api.register_field(fields.Decimal, "string", "decimal")
    from admin import register as register_admin
    from miniapp_api import register as register_miniapp

    register_admin(api)
    register_miniapp(api)
    from admin.console import register_console
    from integrations import register as register_integrations

    register_console(app)
    from miniapp_api.hall_site import register_hall

    register_hall(app)

    register_integrations(api)

    from .guards import register_request_guard
    from .web import register_error_handlers, register_request_transaction

    register_error_handlers(app)
    observability.init_app(app)  # its request line runs after the commit hook: the final answer
    from .accounts.throttle import register_flood_shed

    register_flood_shed(app)  # a login flood is refused before its body is even read
    register_request_guard(app)  # after the request id is taken, so a refusal carries it too
    register_request_transaction(app)
    observability.init_principal(app)

    @app.get("/static/swagger-ui/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(SWAGGER_DIST, filename, max_age=86400)

    from .demo.cli import demo

    app.cli.add_command(demo)
    from .security.cli import keys

    app.cli.add_command(keys)

    return app


class App(Flask):
    """Flask, asking once per function whether it is a coroutine function: Flask asks again
    for every hook and view of every request (16 times a mini-program read)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions: dict = {}

    def ensure_sync(self, func):
        if type(func) is not FunctionType:  # a partial, a bound method: may be new each time
            return super().ensure_sync(func)
        known = self._sync_functions.get(func)
        if known is None:
            known = self._sync_functions[func] = super().ensure_sync(func)
        return known


class NoCookieSession(SessionInterface):
    """Every request gets Flask's read-only empty session; nothing is ever set or sent."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def _init_database(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        Path(app.root_path).parent.joinpath("var").mkdir(exist_ok=True)
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        options = {
            # no ping round trip per checkout: see _check_out_alive
            "pool_size": 5,
            "max_overflow": 10,
            "connect_args": {
                "connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"],
                # Plans that fit each caller: no server-side prepared statements, so every
                # statement is planned for its own parameters and a city admin and a
                # 12-member union never share one generic plan (psycopg would prepare after
                # 5 runs, and PostgreSQL then may keep one plan for all). Not by
                # plan_cache_mode=force_custom_plan: that also re-plans the foreign-key
                # checks' cached plans on every inserted row (a 50,000-member collective
                # submission took 5.3 s instead of 2.2 s). Planner settings (no JIT, random
                # reads priced for cached data): DATABASE_SESSION_OPTIONS.
                "prepare_threshold": None,
                "options": app.config["DATABASE_SESSION_OPTIONS"],
            },
        }
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
        # The mini-program's read-only requests (web.read_only) have a pool of their own
        # whose connections prepare what they run often (psycopg's threshold, 5) and let
        # PostgreSQL keep one generic plan per prepared statement: their statements all look
        # up one member's own rows by key, the same plan for everyone, and parsing and
        # planning them anew on every call costs more than running them. Staff requests
        # never run on it.
        reads = {**options, "connect_args": {**options["connect_args"]}}
        del reads["connect_args"]["prepare_threshold"]
        reads["connect_args"]["options"] = (
            app.config["DATABASE_SESSION_OPTIONS"] + " -c plan_cache_mode=auto"
        ).strip()
        app.config.setdefault("SQLALCHEMY_BINDS", {MEMBER_READS: {"url": url, **reads}})
    db.init_app(app)
    if not url.startswith("sqlite"):
        with app.app_context():
            for engine in db.engines.values():
                _check_out_alive(engine, app.config)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        compare_type=True,
        render_as_batch=True,
        render_item=_render_plain_types,
    )


def _check_out_alive(engine, config) -> None:
    """Never hand out a dead pooled connection, without a ping round trip on every checkout
    (``pool_pre_ping`` costs one per request).

    A connection the server has closed (restart, ``pg_terminate_backend``, an idle timeout)
    has something to read: the server's FATAL message or the end of the stream, which a
    zero-timeout ``poll`` sees without asking the server anything. Such a connection is
    discarded and the pool opens a fresh one (``DisconnectionError``: the pool retries). One
    that sat idle longer than ``DATABASE_PING_AFTER_IDLE`` seconds, where a silent network drop may
    have hidden its end, is pinged first, as ``pool_pre_ping`` would."""

    @event.listens_for(engine, "connect")
    def _fresh(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _idle(dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, record, proxy):
        if dbapi_connection.closed or dbapi_connection.broken:
            raise DisconnectionError("connection closed")
        poller = select.poll()  # not select.select: no limit on the descriptor's number
        try:
            poller.register(dbapi_connection.fileno(), select.POLLIN)
            ready = poller.poll(0)
        except (OSError, ValueError) as exc:  # a closed descriptor
            raise DisconnectionError(str(exc)) from exc
        if ready:  # readable, hung up or in error: the server is gone or going
            raise DisconnectionError("the server closed the connection while it was idle")
        idle = time.monotonic() - record.info.get("idle_since", 0.0)
        if idle > float(config["DATABASE_PING_AFTER_IDLE"]):
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:
                raise DisconnectionError(f"ping failed: {exc}") from exc


def _render_plain_types(type_, obj, autogen_context):
    """Migrations name the stored type (String, DateTime), not our TypeDecorators."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _import_models() -> None:
    from .accounts import models as _a  # noqa: F401
    from .audit import models as _au  # noqa: F401
    from .cards import models as _c  # noqa: F401
    from .imports import models as _i  # noqa: F401
    from .insurance import models as _in  # noqa: F401
    from .members import models as _m  # noqa: F401
    from .notifications import models as _n  # noqa: F401
    from .orgs import models as _o  # noqa: F401
    from .payments import models as _p  # noqa: F401
    from .reviews import models as _r  # noqa: F401
    from .selfservice import models as _ss  # noqa: F401
    from .storage import models as _s  # noqa: F401


def _import_tasks() -> None:
    from .cards import tasks as _ct  # noqa: F401
    from .imports import tasks as _it  # noqa: F401
    from .insurance import deadline_tasks as _idt  # noqa: F401
    from .insurance import tasks as _inst  # noqa: F401
    from .notifications import tasks as _nt  # noqa: F401
    from .payments import tasks as _pt  # noqa: F401
    from .selfservice import tasks as _sst  # noqa: F401
