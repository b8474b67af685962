"""Health for a load balancer: ``/livez`` (the process answers) and ``/readyz`` (it can serve).

``/readyz`` checks, each bounded by the short timeouts of config (a refusing or hanging
dependency answers within about two seconds):

- ``database``: reachable, and migrated to the Alembic head of this code;
- ``redis``: answers PING (when ``REDIS_URL`` is set);
- ``worker``: a Celery worker's heartbeat younger than ``READY_WORKER_MAX_AGE`` (when tasks go
  to Celery: production);
- ``outbox``: no bank message waiting longer than ``READY_OUTBOX_MAX_AGE`` (idem).

It answers 200 ``{"status": "ready", "checks": {...}}`` or 503 with the failing checks named
(``"checks": {"redis": "不可用", ...}``); the reasons themselves go to the log only.
``/healthz`` stays the old liveness answer ``{"status": "ok"}``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app
from sqlalchemy import func, select, text

from ..extensions import db
from ..models_base import utcnow
from .heartbeat import worker_heartbeat_age

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__)
OK = "正常"


def _heads(app: Flask) -> set[str]:
    heads = app.extensions.get("unioncard.alembic_heads")
    if heads is None:
        directory = Path(app.root_path).parent / "migrations"
        config = AlembicConfig()
        config.set_main_option("script_location", str(directory))
        heads = app.extensions["unioncard.alembic_heads"] = set(
            ScriptDirectory.from_config(config).get_heads()
        )
    return heads


def check_database() -> str:
    try:
        with db.engine.connect() as conn:
            versions = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
    except Exception as exc:  # any failure means "not ready"; the reason is logged
        log.error("readyz: database: %s: %s", type(exc).__name__, exc)
        return "不可用"
    if versions != _heads(current_app):
        log.error("readyz: database at %s, code expects %s", versions, _heads(current_app))
        return "未迁移到最新版本"
    return OK


def check_redis() -> str:
    store = current_app.extensions["unioncard.kv"]
    try:
        store.client.ping()
    except Exception as exc:
        log.error("readyz: redis: %s: %s", type(exc).__name__, exc)
        return "不可用"
    return OK


def check_worker() -> str:
    try:
        age = worker_heartbeat_age()
    except Exception as exc:
        log.error("readyz: worker heartbeat: %s: %s", type(exc).__name__, exc)
        return "不可用"
    if age is None or age > current_app.config["READY_WORKER_MAX_AGE"]:
        log.error("readyz: no worker heartbeat (last %s s ago)", age)
        return "无后台任务进程"
    return OK


def outbox_backlog() -> tuple[int, float]:
    """Bank messages waiting (pending) and the age in seconds of the oldest."""
    from ..cards.models import BankOutbox, OutboxStatus

    count, oldest = db.session.execute(
        select(func.count(BankOutbox.id), func.min(BankOutbox.created_at)).where(
            BankOutbox.status == OutboxStatus.PENDING
        )
    ).one()
    if oldest is None:
        return int(count), 0.0
    if oldest.tzinfo is None:  # SQLite keeps naive UTC
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max(0.0, (utcnow() - oldest).total_seconds())


def check_outbox() -> str:
    try:
        count, age = outbox_backlog()
    except Exception as exc:
        log.error("readyz: outbox: %s: %s", type(exc).__name__, exc)
        return "不可用"
    finally:
        db.session.rollback()
    if age > current_app.config["READY_OUTBOX_MAX_AGE"]:
        log.error("readyz: %s bank messages waiting, oldest %s", count, timedelta(seconds=age))
        return "发送队列积压"
    return OK


def worker_checked(app: Flask) -> bool:
    wanted = app.config.get("READY_CHECK_WORKER")
    return app.config["TASK_MODE"] == "celery" if wanted is None else bool(wanted)


def readiness() -> tuple[bool, dict]:
    checks = {"database": check_database()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = check_redis()
    if worker_checked(current_app):
        checks["worker"] = check_worker() if checks.get("redis") == OK else "不可用"
        checks["outbox"] = check_outbox() if checks["database"] == OK else "不可用"
    return all(value == OK for value in checks.values()), checks


@blp.get("/livez")
def livez():
    return {"status": "ok"}


@blp.get("/healthz")
def healthz():
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    started = time.monotonic()
    ready, checks = readiness()
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    body["elapsed_ms"] = round((time.monotonic() - started) * 1000)
    return body, 200 if ready else 503
