"""The field types every API schema uses (admin, mini-program, integrations), so that a new
endpoint gets the same guards and the same OpenAPI types without thinking.

- ``Text``: every string a person or a partner sends. Control characters (NUL, ``\\x1f``,
  DEL, C1) and lone surrogates are refused with a Chinese message (a reason of "\\u0000"
  is not text). Blank-only values are the services' call (``normalise_text``).
- ``Timestamp``: every instant in an answer, ISO 8601 with its UTC offset.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from marshmallow import Schema, fields

from .security.masking import mask_value

# C0 controls except tab, line feed and carriage return; DEL and the C1 block; lone
# surrogates (they cannot be stored or encoded); the non-characters U+FFFE and U+FFFF.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
CONTROL_MESSAGE = "不能包含控制字符或不可见的特殊字符（如 \\u0000），请删除后重试"


def text_problem(value: str) -> str | None:
    """The Chinese reason ``value`` cannot be accepted as text, or None."""
    return CONTROL_MESSAGE if CONTROL_CHARS.search(value) else None


def clean_filename(name: str | None, default: str = "file") -> str:
    """A file name safe to store and to echo in ``Content-Disposition``: the last path part,
    Unicode NFC, no control characters, quotes, or separators, at most 150 characters with
    its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = CONTROL_CHARS.sub("", name)
    name = re.sub(r'[\s"*:<>?|]+', " ", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 150 - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else name[:150]
    return name or default


class Text(fields.String):
    """A string from outside: no control characters."""

    default_error_messages = {"control": CONTROL_MESSAGE}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if text_problem(value):
            raise self.make_error("control")
        return value


class Masked(Text):
    """A personal number shown masked (contracts.md): ID 3411********6755, mobile 138****1234."""

    def __init__(self, kind: str, **kwargs):
        kwargs.setdefault("allow_none", True)  # a number the person never gave
        super().__init__(dump_only=True, **kwargs)
        self.kind = kind

    def _serialize(self, value, attr, obj, **kwargs):
        return mask_value(self.kind, value) if value is not None else None


class Timestamp(fields.DateTime):
    """An instant, answered as ISO 8601 with its offset (``2026-01-31T08:00:00+00:00``).

    A stored value read back without a zone (SQLite drops it) is UTC: the app writes UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class BaseSchema(Schema):
    """Base of the API schemas: fields keep their declared order."""

    class Meta:
        ordered = True
