"""Celery: the request id travels in the task's headers, one log line per task, and the
worker logs through the same masked handler as the web processes."""

from __future__ import annotations

import logging
import time

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from flask import Flask

from . import heartbeat
from .logs import configure, request_id_var

log = logging.getLogger("unioncard.task")
_started: dict[str, tuple[float, object]] = {}


def init_celery(app: Flask) -> None:
    from ..tasks_runtime import celery

    celery.flask_app = app
    heartbeat.install(celery)


@setup_logging.connect
def _worker_logging(**_):
    """Celery must not replace our handler: the worker logs like the web, masked."""
    from ..tasks_runtime import celery

    app = getattr(celery, "flask_app", None)
    configure(app.config if app is not None else {})


@before_task_publish.connect
def _carry_request_id(headers=None, **_):
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@task_prerun.connect
def _task_started(task_id=None, task=None, **_):
    request_id = getattr(task.request, "request_id", None) or request_id_var.get() or task_id
    token = request_id_var.set(request_id)
    _started[task_id] = (time.perf_counter(), token)


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_):
    started, token = _started.pop(task_id, (None, None))
    if started is None:
        return
    duration = time.perf_counter() - started
    log.info(
        "task %s %s %.0fms",
        task.name,
        state,
        duration * 1000,
        extra={
            "task": task.name,
            "task_id": task_id,
            "status": state,
            "duration_ms": round(duration * 1000, 1),
        },
    )
    try:
        request_id_var.reset(token)
    except ValueError:
        request_id_var.set(None)
