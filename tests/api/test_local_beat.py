"""`make run` (TASK_MODE thread) runs the beat schedule in-process, started once by serving."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from unioncard import tasks_runtime
from unioncard.tasks_runtime import celery


def _beats():
    return [t for t in threading.enumerate() if t.name == "local-beat" and t.is_alive()]


def test_eager_mode_starts_no_beat(client):
    before = len(_beats())
    assert client.get("/healthz").status_code == 200
    assert len(_beats()) == before
    assert tasks_runtime.start_local_beat(client.application) is None


def test_thread_mode_runs_every_scheduled_task(app, ctx, monkeypatch):
    pool = ThreadPoolExecutor(max_workers=2)
    monkeypatch.setitem(app.config, "TASK_MODE", "thread")
    monkeypatch.setitem(app.config, "LOCAL_BEAT_FIRST_DELAY", 0)
    monkeypatch.setitem(app.extensions, tasks_runtime._POOL_KEY, pool)
    before = len(_beats())
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200  # the first request starts it
        assert client.get("/healthz").status_code == 200
        assert tasks_runtime.start_local_beat(app) is None
        assert len(_beats()) == before + 1  # one beat, however many requests
        runs = app.extensions["unioncard.local_beat_runs"]
        assert set(runs) == set(celery.conf.beat_schedule)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(runs.values()):
            time.sleep(0.05)
        assert all(n >= 1 for n in runs.values()), runs
    finally:
        tasks_runtime.stop_local_beat(app)
        app.extensions.pop("unioncard.local_beat_runs", None)
        pool.shutdown(wait=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(_beats()) > before:
        time.sleep(0.05)
    assert len(_beats()) == before
