"""Celery bound to the app, and "side effects after commit, by id".

``TASK_MODE``: ``celery`` sends to the broker (production and the PostgreSQL/Redis test run);
``thread`` runs the task in a small in-process pool (``make run`` without Redis); ``eager``
runs it at once in the caller's thread, after the commit (most tests).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .observability.logs import request_id_var

log = logging.getLogger(__name__)

_POOL_KEY = "unioncard.task_pool"
_BEAT_KEY = "unioncard.local_beat"
_BEAT_LOCK = threading.Lock()
_WORKER_APP: list[Flask] = []  # the app a celery worker runs its tasks in (the last built)


class FlaskTask(Task):
    """A task runs in an app context of its own: the dispatching app's (eager, thread mode),
    else the worker's app. Never a fixed app: ``create_app`` may run twice in a process."""

    def __call__(self, *args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else _WORKER_APP[-1]
        with app.app_context():
            return self.run(*args, **kwargs)


celery = Celery("unioncard", task_cls=FlaskTask)


def init_celery(app: Flask) -> Celery:
    _WORKER_APP[:] = [app]
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"] or "memory://",
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=600,
        task_time_limit=660,
        broker_connection_retry_on_startup=True,
        # a broker that refuses or hangs must not hold a request for long (after_commit logs)
        broker_transport_options={
            "socket_connect_timeout": app.config["REDIS_CONNECT_TIMEOUT"],
            "socket_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
        },
        broker_connection_timeout=app.config["REDIS_CONNECT_TIMEOUT"],
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        timezone="Asia/Shanghai",
        enable_utc=True,
        beat_schedule={
            "imports-resume-stalled": {"task": "imports.resume_stalled", "schedule": 300.0},
            "cards-flush-outbox": {"task": "cards.flush_outbox", "schedule": 30.0},
            "notifications-resend": {"task": "notifications.resend_stale", "schedule": 60.0},
            "payments-sweep": {"task": "payments.sweep", "schedule": 120.0},
            "insurance-expire-unpaid": {"task": "insurance.expire_unpaid", "schedule": 3600.0},
        },
    )
    celery.set_default()
    app.extensions["celery"] = celery
    if app.config["TASK_MODE"] == "thread":
        app.extensions[_POOL_KEY] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="task")
    return celery


def dispatch(task, *args) -> None:
    """Run or send a task now (call ``after_commit`` instead inside a transaction)."""
    mode = current_app.config["TASK_MODE"]
    if mode == "celery":
        task.apply_async(args=args)
    elif mode == "thread":
        # the app and the request id go along to the pool's thread (never the app context)
        app = current_app._get_current_object()
        current_app.extensions[_POOL_KEY].submit(_run_in_app, app, request_id_var.get(), task, args)
    elif mode == "eager":
        _run_logged(task, args)
    elif mode == "off":  # tests of lost dispatches; the beat's sweepers pick the work up
        log.warning("TASK_MODE off: %s%r not dispatched", task.name, args)
    else:
        raise RuntimeError(f"unknown TASK_MODE {mode!r}")


def _run_in_app(app: Flask, request_id, task, args):
    token = request_id_var.set(request_id)
    try:
        with app.app_context():
            _run_logged(task, args)
    finally:
        request_id_var.reset(token)


def _run_logged(task, args):
    try:
        task.apply(args=args, throw=True)
    except Exception:
        log.exception("task %s%r failed", task.name, args)


def after_commit(session: Session, task, *args) -> None:
    """Queue ``task(*args)`` to be dispatched once this session's transaction commits."""
    session.info.setdefault("after_commit", []).append((task, args))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session):
    pending = session.info.pop("after_commit", [])
    for task, args in pending:
        try:
            dispatch(task, *args)
        except Exception:  # the change is committed; a broker outage must not turn it into a 500
            log.exception("could not dispatch %s%r after commit", task.name, args)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session):
    session.info.pop("after_commit", None)


def start_local_beat(app: Flask) -> threading.Thread | None:
    """``make run`` has no ``celery beat``: the same schedule, from a daemon thread of the
    serving process, into the same thread pool (deadlines, re-sends and sweeps keep running).
    Started once, by the first request, so CLI commands never start it."""
    if app.config["TASK_MODE"] != "thread" or app.extensions.get(_BEAT_KEY):
        return None
    with _BEAT_LOCK:
        if app.extensions.get(_BEAT_KEY):
            return None
        stop = app.extensions[_BEAT_KEY] = threading.Event()
    schedule = dict(celery.conf.beat_schedule)
    runs = app.extensions.setdefault("unioncard.local_beat_runs", dict.fromkeys(schedule, 0))
    first = float(app.config.get("LOCAL_BEAT_FIRST_DELAY", 5))

    def loop():
        due = dict.fromkeys(schedule, time.monotonic() + first)
        while not stop.is_set():
            now = time.monotonic()
            for name, entry in schedule.items():
                if now >= due[name]:
                    due[name] = now + float(entry["schedule"])
                    with app.app_context():
                        dispatch(celery.tasks[entry["task"]])
                    runs[name] += 1
            stop.wait(0.2)

    thread = threading.Thread(target=loop, name="local-beat", daemon=True)
    thread.start()
    log.info("in-process beat started: %s", ", ".join(sorted(schedule)))
    return thread


def stop_local_beat(app: Flask) -> None:
    stop = app.extensions.pop(_BEAT_KEY, None)
    if stop is not None:
        stop.set()
