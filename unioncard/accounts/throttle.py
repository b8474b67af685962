"""Staff login throttling: what an attacker cannot turn against the service or an account.

- Per IP: at most ``LOGIN_IP_LIMIT`` attempts per ``LOGIN_IP_WINDOW`` seconds (429).
- Per username (real or not, so that both answer alike): every attempt first reserves a
  slot with an atomic increment in the kv store (Redis ``INCR`` in production); the slot
  that reaches ``LOGIN_MAX_FAILURES`` locks the name for ``LOGIN_LOCK_SECONDS``, and no
  attempt beyond it reaches the password check, however many run in parallel.
- Captcha: after ``LOGIN_CAPTCHA_AFTER`` failures of a username, or
  ``LOGIN_CAPTCHA_AFTER_IP`` failures from an IP, an attempt without a solved captcha is
  refused before it is counted, so locking an account out takes more than a script.
- Per process: at most ``LOGIN_HASH_CONCURRENCY`` password hashes at once and
  ``LOGIN_HASH_QUEUE`` requests waiting (at most ``LOGIN_HASH_WAIT_MS``) for one; any other
  is answered 503 at once, so a flood cannot take the CPU from every other request. While
  the queue is full, a login is refused before its body is read, the kv store or the
  database is asked (``shed_when_full``): the refusal costs a flood almost nothing, and
  the interpreter stays free for ``/livez`` and the clerks' requests.
"""

from __future__ import annotations

import hashlib
import math
import threading

from flask import Flask, current_app, request

from ..errors import DomainError, Locked, NotAuthenticated
from ..kvstore import store
from ..selfservice import ratelimit
from . import passwords

BUSY_MESSAGE = "登录请求过多，请稍后再试"
WRONG_MESSAGE = "用户名或密码错误"
_SEMAPHORES = "unioncard.login_hashes"


CAPTCHA_NEXT = "下次登录须填写图形验证码"


class LoginFailed(NotAuthenticated):
    """Wrong credentials (the same answer for unknown usernames); the transaction commits.

    ``errors.captcha_code`` is present when the next attempt must carry a solved captcha."""

    persist = True

    def __init__(self, message=WRONG_MESSAGE, errors=None, *, captcha_required=False):
        if captcha_required and not errors:
            errors = {"captcha_code": [CAPTCHA_NEXT]}
        super().__init__(message, errors)


class CaptchaRequired(LoginFailed):
    """Refused before the password is looked at: solve a captcha first."""

    def __init__(self, *, wrong_code: bool):
        if wrong_code:
            text = "图形验证码错误或已过期，请刷新验证码后重新输入"
        else:
            text = "登录失败次数较多，请输入图形验证码后再登录"
        super().__init__(text, {"captcha_code": [text]}, captcha_required=True)


class LoginLocked(Locked):
    persist = True

    def __init__(self, seconds: int):
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(
            f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试，或联系上级工会解锁"
        )


class LoginBusy(DomainError):
    """Every password-check slot of this process is taken: answer now, not in 17 s."""

    status = 503
    default_message = BUSY_MESSAGE
    retry_after = 1


def _user_key(username: str) -> str:
    return "login:user:" + hashlib.sha256(username.encode()).hexdigest()


def _ip_key(ip: str | None) -> str:
    return f"login:ipfail:{ip or '-'}"


def _count(key: str) -> int:
    return int(store().get(key) or 0)


def check_ip(ip: str | None) -> None:
    """Count one attempt from ``ip``; 429 with Retry-After over the limit."""
    cfg = current_app.config
    ratelimit.hit(
        "staff-login", ip or "-", cfg["LOGIN_IP_LIMIT"], cfg["LOGIN_IP_WINDOW"], BUSY_MESSAGE
    )


def lock_seconds(username: str) -> int:
    left = store().ttl(_user_key(username))
    return left if left > 0 else current_app.config["LOGIN_LOCK_SECONDS"]


def reserve(username: str, ip: str | None, *, captcha_ok: bool, captcha_given: bool) -> int:
    """Take the next attempt slot of ``username`` (atomic), or refuse before any hashing."""
    cfg = current_app.config
    key = _user_key(username)
    n = store().incr(key, ttl=cfg["LOGIN_LOCK_SECONDS"])
    if n > cfg["LOGIN_MAX_FAILURES"]:
        raise LoginLocked(lock_seconds(username))
    if not captcha_ok and (
        n > cfg["LOGIN_CAPTCHA_AFTER"] or _count(_ip_key(ip)) >= cfg["LOGIN_CAPTCHA_AFTER_IP"]
    ):
        release(username)  # not an attempt: the slot goes back
        raise CaptchaRequired(wrong_code=captcha_given)
    return n


def release(username: str) -> None:
    """Give back a slot that was refused before its password was checked."""
    store().decr(_user_key(username))


def failed(username: str, ip: str | None, n: int) -> bool:
    """Record the failure of slot ``n``; True when it locks the username."""
    cfg = current_app.config
    store().incr(_ip_key(ip), ttl=cfg["LOGIN_LOCK_SECONDS"])
    if n >= cfg["LOGIN_MAX_FAILURES"]:
        store().expire(_user_key(username), cfg["LOGIN_LOCK_SECONDS"])  # locked from now
        return True
    return False


def captcha_wanted(username: str, ip: str | None) -> bool:
    cfg = current_app.config
    return (
        _count(_user_key(username)) >= cfg["LOGIN_CAPTCHA_AFTER"]
        or _count(_ip_key(ip)) >= cfg["LOGIN_CAPTCHA_AFTER_IP"]
    )


def clear(username: str) -> None:
    """A successful login, an unlock or a password reset starts the count again."""
    store().delete(_user_key(username))


class _HashGate:
    """At most ``size`` password checks at once; up to ``queue`` more requests wait for a
    slot, any other is refused at once."""

    def __init__(self, size: int, queue: int):
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._size = size
        self._queue = queue
        self._busy = 0
        self._waiting = 0

    def acquire(self, timeout: float) -> bool:
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self._queue:
                    return False
                self._waiting += 1
            try:
                if not self._slots.acquire(timeout=timeout):
                    return False
            finally:
                with self._lock:
                    self._waiting -= 1
        with self._lock:
            self._busy += 1
        return True

    def release(self) -> None:
        with self._lock:
            self._busy -= 1
        self._slots.release()

    def full(self) -> bool:
        """Every slot and every place in the queue is taken: a newcomer would be refused."""
        return self._busy >= self._size and self._waiting >= self._queue


def _gate() -> _HashGate:
    cfg = current_app.config
    size, queue = cfg["LOGIN_HASH_CONCURRENCY"], cfg["LOGIN_HASH_QUEUE"]
    return current_app.extensions.setdefault(
        f"{_SEMAPHORES}:{size}:{queue}", _HashGate(size, queue)
    )


LOGIN_PATH = "/api/admin/v1/auth/login"


def shed_when_full() -> None:
    """before_request: the 503 a login would get anyway, before any of its work is done."""
    if request.method == "POST" and request.path == LOGIN_PATH and _gate().full():
        raise LoginBusy()


def register_flood_shed(app: Flask) -> None:
    app.before_request(shed_when_full)


def check_password(username: str, stored_hash: str, password: str) -> bool:
    """Verify holding one of this process's password-check slots; 503 at once if none."""
    gate = _gate()
    if not gate.acquire(timeout=current_app.config["LOGIN_HASH_WAIT_MS"] / 1000):
        release(username)
        raise LoginBusy()
    try:
        return passwords.verify_password(stored_hash, password)
    finally:
        gate.release()
