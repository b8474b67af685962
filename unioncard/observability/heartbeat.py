"""A Celery worker's heartbeat in Redis, read by ``/readyz``.

Each worker (a consumer bootstep in its main process) writes ``now`` under its host name in
one sorted set every ``INTERVAL`` seconds from a daemon thread, and removes itself on a clean
shutdown; a worker killed outright simply stops beating and ages out
(``READY_WORKER_MAX_AGE``).
"""

from __future__ import annotations

import logging
import threading
import time

from celery import bootsteps
from flask import current_app

from ..kvstore import redis_client

log = logging.getLogger(__name__)
KEY = "unioncard:worker-heartbeats"
INTERVAL = 5.0


def beat(client, hostname: str) -> None:
    now = time.time()
    pipe = client.pipeline()
    pipe.zadd(KEY, {hostname: now})
    pipe.zremrangebyscore(KEY, 0, now - 3600)
    pipe.execute()


def worker_heartbeat_age() -> float | None:
    """Seconds since the most recent heartbeat of any worker, or None if none ever beat."""
    client = current_app.extensions["unioncard.kv"].client
    latest = client.zrevrange(KEY, 0, 0, withscores=True)
    if not latest:
        return None
    return max(0.0, time.time() - float(latest[0][1]))


class HeartbeatStep(bootsteps.StartStopStep):
    """A consumer bootstep: beats while the worker consumes (the CLI worker and the test
    worker alike), stops and removes itself when the consumer stops."""

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.stop_event = threading.Event()
        self.client = None

    def start(self, parent):
        app = getattr(parent.app, "flask_app", None)
        if app is None or not app.config["REDIS_URL"]:
            return
        hostname = parent.hostname
        self.hostname = hostname
        self.client = client = redis_client(
            app.config["REDIS_URL"], app.config, decode_responses=True
        )
        self.stop_event.clear()
        stop = self.stop_event

        def loop():
            while not stop.is_set():
                try:
                    beat(client, hostname)
                except Exception as exc:  # Redis down: /readyz says so; keep trying
                    log.warning("worker heartbeat not written: %s", exc)
                stop.wait(INTERVAL)

        threading.Thread(target=loop, name="worker-heartbeat", daemon=True).start()
        log.info("worker heartbeat started for %s", hostname)

    def stop(self, parent):
        self.stop_event.set()
        if self.client is not None:
            try:
                self.client.zrem(KEY, self.hostname)
            except Exception as exc:
                log.warning("worker heartbeat not removed: %s", exc)
            self.client = None

    shutdown = stop


def install(celery) -> None:
    celery.steps["consumer"].add(HeartbeatStep)
