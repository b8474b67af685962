"""Personal numbers in clear in any text: what `make prod-check` searches every table and log
for. Run beside it from scripts/ (``python scripts/prod_check.py`` puts scripts/ on the path).
The check characters are the project's own (resident IDs) and the bank sandbox's (Luhn)."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime
from decimal import Decimal

from integrations.bank.sandbox import luhn_check_digit
from unioncard.members.idcard import resident_id_check_char

_TOKEN = re.compile(r"[0-9A-Za-z]+")


def _is_id(token: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dXx]", token)) and (
        resident_id_check_char(token[:17]) == token[-1].upper()
    )


def _is_card(token: str) -> bool:
    return bool(re.fullmatch(r"\d{16,19}", token)) and luhn_check_digit(token[:-1]) == token[-1]


def personal_numbers(text: str) -> list[str]:
    """Whole tokens that are an ID number, a mobile (optionally +86) or a card number."""
    return [
        token
        for token in _TOKEN.findall(text)
        if _is_id(token) or re.fullmatch(r"(?:86)?1[3-9]\d{9}", token) or _is_card(token)
    ]


def text_of(value) -> str:
    """A stored value as the text to search (bytes as base64, JSON as JSON)."""
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    return "" if value is None else str(value)
