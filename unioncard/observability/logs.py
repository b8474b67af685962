"""Logging: JSON lines in production, readable text in the embedded default, masked always.

Every record carries the request id of the request or task it belongs to (``request_id``,
from a context variable set per request and per task). ``configure`` installs one stream
handler on the root logger with the redaction filter; gunicorn (``gunicorn.conf.py``) and the
Celery worker (``setup_logging`` signal) log through the same handler.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

from .redact import RedactingFilter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "unioncard_request_id", default=None
)
# fields a request or task log line adds to its record (``extra=``)
EXTRA_FIELDS = ("user", "org", "route", "method", "status", "duration_ms", "task", "task_id", "url")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return super().format(record)


def make_handler(fmt: str, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    handler._unioncard = True
    return handler


def log_format(config) -> str:
    return config.get("LOG_FORMAT") or ("json" if config.get("ENV") == "production" else "text")


class RepeatedAccessLine(logging.Filter):
    """The embedded server's (werkzeug's) access line repeats our own request line
    (``unioncard.request``: request id, user, duration) at twice the cost: drop it. Its
    errors and start-up lines stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and " - - [" in record.getMessage())


def configure(config) -> None:
    """One masked handler on the root logger (replacing an earlier one of ours); the masking
    filter also goes on any handler someone else installed (pytest's, gunicorn's)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_unioncard", False):
            root.removeHandler(handler)
    root.addHandler(make_handler(log_format(config)))
    root.setLevel(config.get("LOG_LEVEL") or "INFO")
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, RepeatedAccessLine) for f in werkzeug.filters):
        werkzeug.addFilter(RepeatedAccessLine())
    protect_all_handlers()


def protect_all_handlers() -> None:
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
                handler.addFilter(RedactingFilter())
