"""Personal numbers never reach a log or an error report (PIPL).

``redact`` masks 18-character ID numbers, 11-digit mobiles and 16–19-digit card numbers in
any text, and the values of personal query parameters (``id_no=…&mobile=…``) in URLs.
``RedactingFilter`` applies it to every record on every handler (ours, gunicorn's, Celery's);
``scrub`` applies it to a nested structure (a Sentry event).
"""

from __future__ import annotations

import logging
import re

MASK = "***"
PERSONAL_PARAMS = (
    "id_no",
    "idno",
    "id_number",
    "mobile",
    "phone",
    "card_no",
    "cardno",
    "bank_card",
    "account_no",
    "q",
    "keyword",
)
_PARAM = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(" + "|".join(PERSONAL_PARAMS) + r")=([^&\s\"']*)",
)
# A number's digits after a decimal point (Celery's "succeeded in 0.01380000123456s") are no
# personal number: none of the three starts right after "<digit>.". A number after a full stop
# that follows a word ("张三.13812345678") is still masked.
_ID_NO = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)\d{17}[\dXx](?![0-9A-Za-z])")
_CARD_NO = re.compile(r"(?<!\d)(?<!\d\.)\d{16,19}(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?<!\d\.)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")


# the parameter pattern needs an "=", the three numbers 11 digits in a row: text without
# them (most log lines, every plain request path; a list's query string has its "=" but
# rarely a long number) skips those patterns, found in one scan instead of three
_LONG_NUMBER = re.compile(r"\d{11}")


def redact(text: str) -> str:
    if not text:
        return text
    if "=" in text:
        text = _PARAM.sub(lambda m: f"{m.group(1)}={MASK}", text)
    if not _LONG_NUMBER.search(text):  # masking a parameter never makes a longer number
        return text
    text = _ID_NO.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    text = _CARD_NO.sub(
        lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 8) + m.group(0)[-4:], text
    )
    return _MOBILE.sub(
        lambda m: m.group(0)[:-11] + m.group(0)[-11:-8] + "****" + m.group(0)[-4:], text
    )


def scrub(value, depth: int = 0):
    """``redact`` every string inside dicts, lists and tuples."""
    if depth > 20:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, depth + 1) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites the record's message (arguments merged) and exception text, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # formatted (and masked) already
        for name in ("url", "path", "query"):
            if isinstance(getattr(record, name, None), str):
                setattr(record, name, redact(getattr(record, name)))
        return True
