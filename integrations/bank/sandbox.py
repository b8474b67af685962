"""Loopback sandbox of the partner bank, speaking the real protocol (contracts.md, "Bank").

Every request must carry our signature. ``POST /batches`` answers 202 (200
``already_received`` for a known batch_no); after ``result_delay`` s a thread posts the
results, signed as the bank, to ``{callback_base_url}/api/integrations/bank/v1/callbacks/
card-results`` (≤ 500 per callback), then every ``event_delay`` s one round of card events
for the cards issued: produced, delivered, activated. A callback answered non-2xx or
unreachable is retried with back-off, then dropped (logged); a revoked batch gets none.
``POST /batches/<batch_no>/revoke``: 404 unknown, 409 once results went out, else 200.

Results per member, first matching rule wins (``today``: Asia/Shanghai unless fixed):

| # | condition                                             | reason_code    | reason                       |
|---|-------------------------------------------------------|----------------|------------------------------|
| 1 | name outside GB 2312 ("·" U+00B7 counts as printable); | NAME_CHARSET   | 姓名含银行无法打印的字符     |
|   | not applied to channel "特殊" (printed by hand)        |                |                              |
| 2 | ``id_expiry`` before today ("长期" or null: never)    | ID_EXPIRED     | 证件已过期                   |
| 3 | ``id_number[14:17] == "444"``                         | ID_MISMATCH    | 姓名与证件号码不符           |
| 4 | ``member_no`` ends in "77"                            | DUPLICATE_CARD | 该客户已有同类卡片           |
| 5 | ``member_no`` ends in "99"                            | OTHER          | 银行系统处理失败，请联系网点 |
| 6 | otherwise success: ``card_no`` = "6231" + 14 digits from SHA-256(member_no) + Luhn digit |

``result_id`` = ``f"{batch_no}-{member_no}"``; ``event_id`` = ``f"{card_no}-{type}"``.
Tests steer it through ``app.extensions["bank_sandbox"]`` (a ``BankSandbox``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from integrations.signing import NonceCache, SignatureError, signed_headers, verify_request

log = logging.getLogger(__name__)

RESULTS_PATH = "/api/integrations/bank/v1/callbacks/card-results"
EVENTS_PATH = "/api/integrations/bank/v1/callbacks/card-events"
EVENT_TYPES = ("produced", "delivered", "activated")
REASONS = {
    "NAME_CHARSET": "姓名含银行无法打印的字符",
    "ID_EXPIRED": "证件已过期",
    "ID_MISMATCH": "姓名与证件号码不符",
    "DUPLICATE_CARD": "该客户已有同类卡片",
    "OTHER": "银行系统处理失败，请联系网点",
}
SPECIAL_CHANNEL = "特殊"
LONG_TERM = "长期"
_CHINA_TZ = timezone(timedelta(hours=8))
REVOKE_REFUSED = "该批次银行已反馈，不能撤销"
_BATCH_NO = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MAX_MEMBERS = 10_000


def now_iso() -> str:
    """Now in Asia/Shanghai, ISO 8601 with the +08:00 offset."""
    return datetime.now(_CHINA_TZ).isoformat(timespec="seconds")


def bank_can_print(name: str) -> bool:
    """True if every character is in GB 2312, the middle dot "·" (U+00B7) included."""
    try:
        name.replace("\u00b7", "").encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def card_number(member_no: str) -> str:
    """19 digits: "6231", 14 digits derived from ``member_no``, a Luhn check digit."""
    seed = int.from_bytes(hashlib.sha256(f"card:{member_no}".encode()).digest()[:8], "big")
    body = "6231" + str(seed % 10**14).zfill(14)
    return body + luhn_check_digit(body)


def card_result(batch_no: str, channel: str, member: dict, today: date) -> dict:
    """The bank's answer for one member of a batch (the table in the module docstring)."""
    member_no = member["member_no"]
    expiry = member.get("id_expiry")
    code = None
    if channel != SPECIAL_CHANNEL and not bank_can_print(member["name"]):
        code = "NAME_CHARSET"
    elif expiry not in (None, LONG_TERM) and date.fromisoformat(expiry) < today:
        code = "ID_EXPIRED"
    elif member["id_number"][14:17] == "444":
        code = "ID_MISMATCH"
    elif member_no.endswith("77"):
        code = "DUPLICATE_CARD"
    elif member_no.endswith("99"):
        code = "OTHER"
    result = {"result_id": f"{batch_no}-{member_no}", "member_no": member_no}
    if code:
        return {**result, "status": "failure", "reason_code": code, "reason": REASONS[code]}
    return {**result, "status": "success", "card_no": card_number(member_no)}


def _parses(parse, value) -> bool:
    try:
        parse(value)
    except (TypeError, ValueError):
        return False
    return True


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


_MEMBER_CHECKS = {  # field: (test, message); every field must be present
    **dict.fromkeys(("member_no", "name", "id_type", "id_number"), (_text, "不能为空")),
    "id_expiry": (lambda v: v in (None, LONG_TERM) or _parses(date.fromisoformat, v),
                  "须为 YYYY-MM-DD、“长期”或 null"),
    "birth_date": (lambda v: v is None or _parses(date.fromisoformat, v), "须为 YYYY-MM-DD 或 null"),
    **dict.fromkeys(("gender", "country", "mobile", "address"),
                    (lambda v: v is None or isinstance(v, str), "须为字符串或 null")),
}  # fmt: skip


def batch_errors(body) -> dict[str, list[str]]:
    """What is wrong with a ``POST /batches`` body, by field; empty if it is well formed."""
    if not isinstance(body, dict):
        return {"_schema": ["请求体须为 JSON 对象"]}
    errors: dict[str, list[str]] = {}
    if not isinstance(body.get("batch_no"), str) or not _BATCH_NO.fullmatch(body["batch_no"]):
        errors["batch_no"] = ["批次号须为 1-64 位字母、数字或 . _ -"]
    for key in ("channel", "branch_code"):
        if not _text(body.get(key)):
            errors[key] = ["不能为空"]
    if not _parses(datetime.fromisoformat, body.get("submitted_at")):
        errors["submitted_at"] = ["须为 ISO 8601 时间"]
    members = body.get("members")
    if not isinstance(members, list) or not 1 <= len(members) <= _MAX_MEMBERS:
        errors["members"] = [f"须为 1-{_MAX_MEMBERS} 名会员的列表"]
        return errors
    seen: set[str] = set()
    for i, member in enumerate(members):
        if not isinstance(member, dict):
            errors[f"members[{i}]"] = ["须为 JSON 对象"]
            continue
        for key, (ok, message) in _MEMBER_CHECKS.items():
            if key not in member or not ok(member[key]):
                errors[f"members[{i}].{key}"] = ["缺少该字段" if key not in member else message]
        member_no = member.get("member_no")
        if isinstance(member_no, str) and member_no in seen:
            errors[f"members[{i}].member_no"] = ["会员编号在批次中重复"]
        elif isinstance(member_no, str):
            seen.add(member_no)
    return errors


@dataclass
class SandboxBatch:
    payload: dict
    results: list[dict]
    submissions: int = 1
    fed_back: bool = False  # results started going out: revocation refused from now on


class BankSandbox:
    """The bank's state and the knobs tests use: ``batches``, ``revoked``, ``callbacks_sent``
    [(path, HTTP status or None)], ``answer_delay``, ``fail_next``, ``pause_callbacks``/``resume_callbacks``,
    ``wait_idle``; ``close`` drops pending callbacks."""

    def __init__(self, *, bank_id, bank_secret, callback_base_url, result_delay=1.0,
                 event_delay=1.0, today=None, callback_chunk=500, callback_retries=3,
                 retry_backoff=0.2):  # fmt: skip
        self.bank_id, self._bank_secret = bank_id, bank_secret
        self.callback_base_url = callback_base_url.rstrip("/")
        self.result_delay, self.event_delay, self.today = result_delay, event_delay, today
        self.callback_chunk, self.callback_retries = callback_chunk, callback_retries
        self.retry_backoff = retry_backoff
        self.answer_delay = 0.0  # seconds a POST /batches is held after the batch is recorded
        self.batches: dict[str, SandboxBatch] = {}
        self.revoked: set[str] = set()
        self.callbacks_sent: list[tuple[str, int | None]] = []
        self._lock = threading.Condition()
        self._failures = self._active = 0
        self._resumed, self._stopped = threading.Event(), threading.Event()
        self._resumed.set()

    def fail_next(self, n: int = 1) -> None:
        """The next ``n`` ``POST /batches`` answer 503, as in an outage."""
        with self._lock:
            self._failures = n

    def take_failure(self) -> bool:
        with self._lock:
            self._failures, failing = max(self._failures - 1, 0), self._failures > 0
            return failing

    def pause_callbacks(self) -> None:
        self._resumed.clear()

    def resume_callbacks(self) -> None:
        self._resumed.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no batch has callbacks still to send; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._active == 0, timeout)

    def close(self) -> None:
        self._stopped.set()
        self._resumed.set()

    def receive(self, payload: dict) -> tuple[int, dict]:
        batch_no, channel = payload["batch_no"], payload["channel"]
        with self._lock:
            if batch_no in self.batches:
                self.batches[batch_no].submissions += 1
                return 200, {"batch_no": batch_no, "status": "already_received"}
            today = self.today or datetime.now(_CHINA_TZ).date()
            results = [card_result(batch_no, channel, m, today) for m in payload["members"]]
            self.batches[batch_no] = SandboxBatch(payload, results)
            self._active += 1
        name = f"bank-sandbox-{batch_no}"
        threading.Thread(target=self._deliver, args=(batch_no,), name=name, daemon=True).start()
        return 202, {"batch_no": batch_no, "status": "received"}

    def revoke(self, batch_no: str) -> tuple[int, dict]:
        with self._lock:
            batch = self.batches.get(batch_no)
            if batch is None:
                return 404, {"code": 404, "status": "Not Found", "message": "批次不存在"}
            if batch_no in self.revoked:
                return 200, {"batch_no": batch_no, "status": "already_revoked"}
            if batch.fed_back:
                return 409, {"code": 409, "status": "Conflict", "message": REVOKE_REFUSED}
            self.revoked.add(batch_no)
            return 200, {"batch_no": batch_no, "status": "revoked"}

    # -- callbacks, in the batch's own thread ----------------------------------------------

    def _deliver(self, batch_no: str) -> None:
        try:
            if not self._pause_point(self.result_delay):
                return
            with self._lock:
                batch = self.batches[batch_no]
                if batch_no in self.revoked:
                    log.info("bank sandbox: batch %s was revoked, no feedback", batch_no)
                    return
                batch.fed_back = True
            head = {"batch_no": batch_no, "feedback_at": now_iso()}
            for chunk in _chunks(batch.results, self.callback_chunk):
                self._post(RESULTS_PATH, {**head, "results": chunk})
            cards = [r for r in batch.results if r["status"] == "success"]
            for kind in EVENT_TYPES:
                if not cards or not self._pause_point(self.event_delay):
                    return
                at = now_iso()
                events = [{"event_id": f"{r['card_no']}-{kind}", "member_no": r["member_no"],
                           "card_no": r["card_no"], "type": kind, "at": at} for r in cards]  # fmt: skip
                for chunk in _chunks(events, self.callback_chunk):
                    self._post(EVENTS_PATH, {"events": chunk})
        except Exception:
            log.exception("bank sandbox: callbacks for batch %s failed", batch_no)
        finally:
            with self._lock:
                self._active -= 1
                self._lock.notify_all()

    def _pause_point(self, delay: float) -> bool:
        """Wait ``delay`` seconds, then while paused; False if the sandbox is stopping."""
        if self._stopped.wait(delay):
            return False
        while not self._resumed.wait(0.05):
            pass
        return not self._stopped.is_set()

    def _post(self, path: str, payload: dict) -> bool:
        url = self.callback_base_url + path
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        for attempt in range(self.callback_retries + 1):
            if attempt and self._stopped.wait(self.retry_backoff * 2 ** (attempt - 1)):
                return False
            headers = signed_headers(
                self.bank_id, self._bank_secret, "POST", urlsplit(url).path, body
            )
            status: int | None = None
            try:
                with requests.post(url, data=body, headers=headers, timeout=(3.05, 10)) as answer:
                    status = answer.status_code
            except requests.RequestException as exc:
                log.info("bank sandbox: callback %s failed: %s", path, exc)
            with self._lock:
                self.callbacks_sent.append((path, status))
            if status is not None and 200 <= status < 300:
                return True
        log.warning("bank sandbox: giving up on callback %s after %d attempts", path, attempt + 1)
        return False


def _chunks(items: list, size: int):
    return (items[start : start + size] for start in range(0, len(items), size))


def _error(status: int, message: str, errors: dict | None = None):
    reason = {400: "Bad Request", 401: "Unauthorized", 503: "Service Unavailable"}[status]
    return jsonify(code=status, status=reason, message=message, errors=errors or {}), status


def create_bank_sandbox(*, client_id: str, client_secret: str, bank_id: str, bank_secret: str,
                        callback_base_url: str, result_delay: float = 1.0,
                        event_delay: float = 1.0, today: date | None = None,
                        **options) -> Flask:  # fmt: skip
    """The sandbox app; ``options`` (callback_chunk, callback_retries, retry_backoff) go to
    ``BankSandbox``."""
    app = Flask("bank_sandbox")
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    state = app.extensions["bank_sandbox"] = BankSandbox(
        bank_id=bank_id, bank_secret=bank_secret, callback_base_url=callback_base_url,
        result_delay=result_delay, event_delay=event_delay, today=today, **options,
    )  # fmt: skip
    nonces = NonceCache()

    @app.before_request
    def check_signature():
        try:
            verify_request(request.headers, request.method, request.path, request.get_data(),
                           secret_for={client_id: client_secret}.get, remember_nonce=nonces)  # fmt: skip
        except SignatureError as exc:
            return _error(401, exc.message, {"signature": [exc.reason]})
        return None

    @app.post("/batches")
    def submit_batch():
        if state.take_failure():
            return _error(503, "银行系统维护中，请稍后重试")
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _error(400, "请求体不是合法的 JSON")
        errors = batch_errors(body)
        if errors:
            return _error(400, "批次数据不符合接口约定", errors)
        status, answer = state.receive(body)
        if state.answer_delay:  # the batch is in; the answer is slow (a sender may die meanwhile)
            time.sleep(state.answer_delay)
        return jsonify(answer), status

    @app.post("/batches/<batch_no>/revoke")
    def revoke_batch(batch_no: str):
        status, answer = state.revoke(batch_no)
        return jsonify(answer), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        body = {"code": exc.code, "status": exc.name, "message": exc.description, "errors": {}}
        return jsonify(body), exc.code

    return app
