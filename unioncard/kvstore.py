"""Short-lived shared state: staff tokens, login failure counters, locks.

Redis in production (``REDIS_URL``); an in-process dictionary in the embedded default,
which is only correct for a single process (``make run``).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

EXTENSION_KEY = "unioncard.kv"


class MemoryStore:
    def __init__(self):
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()

    def _alive(self, key):
        item = self._data.get(key)
        if item and item[1] is not None and item[1] < time.monotonic():
            del self._data[key]
            return None
        return item

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._alive(key)
            return item[0] if item else None

    def set(self, key: str, value: str, ttl: int | None = None, nx: bool = False) -> bool:
        with self._lock:
            if nx and self._alive(key):
                return False
            self._data[key] = (str(value), time.monotonic() + ttl if ttl else None)
            return True

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def incr(self, key: str, ttl: int) -> int:
        with self._lock:
            item = self._alive(key)
            value = int(item[0]) + 1 if item else 1
            expires = item[1] if item else time.monotonic() + ttl
            self._data[key] = (str(value), expires)
            return value

    def ttl(self, key: str) -> int:
        with self._lock:
            item = self._alive(key)
            if not item or item[1] is None:
                return -1
            return max(0, int(item[1] - time.monotonic()))

    def decr(self, key: str) -> int:
        with self._lock:
            item = self._alive(key)
            value = int(item[0]) - 1 if item else -1
            self._data[key] = (str(value), item[1] if item else None)
            return value

    def expire(self, key: str, ttl: int) -> None:
        with self._lock:
            item = self._alive(key)
            if item:
                self._data[key] = (item[0], time.monotonic() + ttl)

    def take(self, key: str) -> str | None:
        """Read and delete in one step (single-use values)."""
        with self._lock:
            item = self._alive(key)
            self._data.pop(key, None)
            return item[0] if item else None


def redis_client(url: str, config, **options) -> redis.Redis:
    """A client that fails fast (short timeouts, no retry): a Redis that refuses or hangs
    turns into a 503 within about a second, never a request held for long."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=config["REDIS_CONNECT_TIMEOUT"],
        socket_timeout=config["REDIS_SOCKET_TIMEOUT"],
        retry=Retry(NoBackoff(), 0),
        retry_on_timeout=False,
        **options,
    )


class RedisStore:
    def __init__(self, url: str, config):
        self.client = redis_client(url, config, decode_responses=True)

    def get(self, key):
        return self.client.get(key)

    def set(self, key, value, ttl=None, nx=False):
        return bool(self.client.set(key, value, ex=ttl, nx=nx))

    def delete(self, *keys):
        if keys:
            self.client.delete(*keys)

    def incr(self, key, ttl):
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl, nx=True)
        return int(pipe.execute()[0])

    def ttl(self, key):
        return int(self.client.ttl(key))

    def decr(self, key):
        return int(self.client.decr(key))

    def expire(self, key, ttl):
        self.client.expire(key, ttl)

    def take(self, key):
        pipe = self.client.pipeline()  # MULTI/EXEC: one reader wins
        pipe.get(key)
        pipe.delete(key)
        return pipe.execute()[0]


def init_store(app) -> None:
    url = app.config["REDIS_URL"]
    app.extensions[EXTENSION_KEY] = RedisStore(url, app.config) if url else MemoryStore()


def store():
    return current_app.extensions[EXTENSION_KEY]


@contextmanager
def exclusive(name: str, ttl: int = 600):
    """A best-effort mutual-exclusion lock (periodic and de-duplicated jobs)."""
    key = f"lock:{name}"
    acquired = store().set(key, "1", ttl=ttl, nx=True)
    try:
        yield acquired
    finally:
        if acquired:
            store().delete(key)
