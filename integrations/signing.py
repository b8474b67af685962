"""The bank's request signature, used both ways (contracts.md, "Bank, inbound").

Every request between us and the bank carries ``X-Bank-Id``, ``X-Timestamp`` (Unix
seconds), ``X-Nonce`` (random, unique per request) and ``X-Signature``: the lowercase hex
HMAC-SHA256 under the sender's secret of::

    timestamp + "\\n" + nonce + "\\n" + METHOD + "\\n" + path + "\\n" + hex(SHA-256(raw body))

``path`` is the request path as sent on the wire, without the query string (a query
string passed in is cut off on both sides). We sign our calls to the bank with our own
id and secret and check the bank's callbacks with ``verify_request``; the bank sandbox
does the reverse.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping

__all__ = [
    "NonceCache",
    "SignatureError",
    "body_digest",
    "signature",
    "signed_headers",
    "verify_request",
]

HEADER_ID = "X-Bank-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
_MAX_NONCE = 128
_MAX_TIMESTAMP = (
    12  # Unix seconds; a longer string is no timestamp (and int() of 5,000 digits fails)
)


def body_digest(body: bytes) -> str:
    """Hex SHA-256 of the raw body."""
    return hashlib.sha256(body).hexdigest()


def signature(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the canonical string (see the module docstring)."""
    message = "\n".join(
        (timestamp, nonce, method.upper(), path.split("?", 1)[0], body_digest(body))
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    client_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers of one signed JSON request; a fresh nonce unless one is given."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    return {
        HEADER_ID: client_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, timestamp, nonce, method, path, body),
        "Content-Type": "application/json",
    }


class SignatureError(Exception):
    """A request refused by ``verify_request``; answer 401 with ``message``."""

    MESSAGES = {
        "missing": "缺少签名信息，或签名信息格式不正确",
        "unknown_bank": "未知的银行标识",
        "bad_signature": "签名校验失败",
        "stale": "请求时间与服务器时间相差过大",
        "replayed": "重复的请求（随机串已使用）",
    }

    def __init__(self, reason: str):
        if reason not in self.MESSAGES:
            raise ValueError(reason)
        self.reason = reason
        self.message = self.MESSAGES[reason]
        super().__init__(self.message)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # a plain dict is case-sensitive
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value.strip() if isinstance(value, str) else None


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    *,
    secret_for: Callable[[str], str | None],
    remember_nonce: Callable[[str, str, int], bool],
    now: float | None = None,
    window: int = 300,
) -> str:
    """Check a signed request and return the sender's id, or raise ``SignatureError``.

    Order: headers present and well formed, sender known, timestamp within ``window``
    seconds either way, signature, then the nonce, remembered for ``2 * window`` seconds
    (``remember_nonce`` returns False for a nonce already seen).
    """
    sender = _header(headers, HEADER_ID)
    timestamp = _header(headers, HEADER_TIMESTAMP)
    nonce = _header(headers, HEADER_NONCE)
    given = _header(headers, HEADER_SIGNATURE)
    if not (sender and timestamp and nonce and given):
        raise SignatureError("missing")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP):
        raise SignatureError("missing")
    if len(nonce) > _MAX_NONCE:
        raise SignatureError("missing")
    secret = secret_for(sender)
    if not secret:
        raise SignatureError("unknown_bank")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > window:
        raise SignatureError("stale")
    expected = signature(secret, timestamp, nonce, method, path, body)
    if not given.isascii() or not hmac.compare_digest(expected, given.lower()):
        raise SignatureError("bad_signature")
    if not remember_nonce(sender, nonce, 2 * window):
        raise SignatureError("replayed")
    return sender


class NonceCache:
    """In-process ``remember_nonce``: thread-safe, entries expire after their ttl.

    For the sandboxes and single-process use; the service keeps its nonces in Redis.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def __call__(self, sender: str, nonce: str, ttl: int) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            key = (sender, nonce)
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + ttl
            return True
