"""Loopback sandbox of the population and social-security registers (contracts.md,
"Verification services"). One app serves both: ``POST /population/verify`` and
``POST /social-security/status``, so the base URLs are ``http://127.0.0.1:PORT/population``
and ``http://127.0.0.1:PORT/social-security``.

Answers depend only on the ID number: its sequence digits ``seq = id_number[14:17]``, its
birth date and the gender digit ``id_number[16]`` (odd: man). ``today`` is Asia/Shanghai
unless fixed.

==========================  ===========================  ==========================================
ID number                   population ``/verify``       social security ``/status``
==========================  ===========================  ==========================================
default (18 characters)     match true, deceased false   retired false, retired_on null,
                                                         insurance 正常, card 正常, employment 在职
seq 900-904                 **match false**              default
seq 905-909                 **deceased true**            default
seq 910-919                 default                      **insurance_status 待确认**
seq 920-924                 default                      **card_status 封存**
seq 925-929                 default                      **employment 不在职**
60th birthday (man) / 55th  default                      **retired true, retired_on that birthday**,
(woman) on or before today                               employment 不在职 (29 Feb → 28 Feb)
blank name                  match false                  -
not 18 characters           match true, deceased false   retired false, retired_on null,
(foreign papers)                                         insurance 正常, card null, employment null
==========================  ===========================  ==========================================

Rows combine (a retired man with seq 920 has a sealed card). A body that is not
``{"items": [...]}`` with well-formed items and unique refs answers 400; over 1,000 items 413.
Tests steer it through ``app.extensions["registers_sandbox"]`` (a ``RegistersSandbox``).
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta, timezone

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

MAX_ITEMS = 1000
_CHINA_TZ = timezone(timedelta(hours=8))


def _seq(id_number: str) -> int:
    digits = id_number[14:17]
    return int(digits) if digits.isascii() and digits.isdigit() else -1


def retirement_date(id_number: str) -> date | None:
    """The 60th (man) or 55th (woman) birthday of an 18-character resident ID, else None."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return None
    try:
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    year = birth.year + (60 if int(id_number[16]) % 2 else 55)
    try:
        return birth.replace(year=year)
    except ValueError:  # born on 29 February
        return birth.replace(year=year, day=28)


def population_answer(item: dict) -> dict:
    id_number, ref = item["id_number"], item["ref"]
    if len(id_number) != 18:
        return {"ref": ref, "match": True, "deceased": False}
    seq = _seq(id_number)
    match = not 900 <= seq <= 904 and bool(item["name"].strip())
    return {"ref": ref, "match": match, "deceased": 905 <= seq <= 909}


def social_security_answer(item: dict, today: date) -> dict:
    id_number, ref = item["id_number"], item["ref"]
    if len(id_number) != 18:
        return {"ref": ref, "retired": False, "retired_on": None, "insurance_status": "正常",
                "card_status": None, "employment": None}  # fmt: skip
    seq = _seq(id_number)
    retire = retirement_date(id_number)
    retired = retire is not None and retire <= today
    return {
        "ref": ref,
        "retired": retired,
        "retired_on": retire.isoformat() if retired else None,
        "insurance_status": "待确认" if 910 <= seq <= 919 else "正常",
        "card_status": "封存" if 920 <= seq <= 924 else "正常",
        "employment": "不在职" if retired or 925 <= seq <= 929 else "在职",
    }


class RegistersSandbox:
    """What tests see and steer: ``calls`` [(path, item count)], ``fail_next``."""

    def __init__(self, today: date | None = None):
        self._today = today
        self.calls: list[tuple[str, int]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()

    def today(self) -> date:
        return self._today or datetime.now(_CHINA_TZ).date()

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` requests (either register) answer ``status``."""
        with self._lock:
            self._failures = [status] * n

    def take_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop() if self._failures else None

    def record(self, path: str, count: int) -> None:
        with self._lock:
            self.calls.append((path, count))


def _is_ref(value) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _items(fields: tuple[str, ...]):
    """The request's items, or an error answer (400 malformed, 413 too many)."""
    try:
        body = json.loads(request.get_data())
    except ValueError:
        return None, _error(400, "请求体不是合法的 JSON")
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return None, _error(400, '请求体须为 {"items": [...]}')
    if len(items) > MAX_ITEMS:
        return None, _error(413, f"每次最多 {MAX_ITEMS} 条")
    refs = set()
    for i, item in enumerate(items):
        ok = isinstance(item, dict) and _is_ref(item.get("ref"))
        ok = ok and all(isinstance(item.get(f), str) for f in fields) and item["ref"] not in refs
        if not ok:
            return None, _error(400, f"第 {i + 1} 条数据格式不正确或 ref 重复")
        refs.add(item["ref"])
    return items, None


def _error(status: int, message: str):
    body = {"code": status, "status": {400: "Bad Request", 413: "Payload Too Large"}.get(status, ""),
            "message": message, "errors": {}}  # fmt: skip
    return jsonify(body), status


def create_registers_sandbox(*, today: date | None = None) -> Flask:
    """Both registers in one app (see the module docstring for the rules)."""
    app = Flask("registers_sandbox")
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    state = RegistersSandbox(today)
    app.extensions["registers_sandbox"] = state

    @app.before_request
    def outage():
        status = state.take_failure()
        if status is not None:
            return jsonify({"code": status, "status": "", "message": "服务暂时不可用"}), status
        return None

    @app.post("/population/verify")
    def verify():
        items, error = _items(("name", "id_number"))
        if error:
            return error
        state.record(request.path, len(items))
        return jsonify({"items": [population_answer(item) for item in items]})

    @app.post("/social-security/status")
    def status():
        items, error = _items(("id_number",))
        if error:
            return error
        state.record(request.path, len(items))
        today = state.today()
        return jsonify({"items": [social_security_answer(item, today) for item in items]})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        body = {"code": exc.code, "status": exc.name, "message": exc.description, "errors": {}}
        return jsonify(body), exc.code

    return app
