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

from marshmallow import RAISE, Schema, ValidationError, fields, validate

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


class Records(fields.List):
    """A list of flat records (a schema of ``Text`` fields only), as a partner sends them by
    the thousand (the bank's 5,000 card results in one callback).

    When every record is plainly valid (a dict of known keys with the required ones, each
    value a string without control characters that passes its field's validators, or None
    where the field allows it) the records are taken as they are: the same result as loading
    each through the schema, about four times faster. Otherwise the list goes through
    marshmallow record by record, so the errors are exactly the schema's."""

    def __init__(self, schema: type[Schema], **kwargs):
        super().__init__(fields.Nested(schema), **kwargs)
        self._checks = _flat_checks(schema())

    def _deserialize(self, value, attr, data, **kwargs):
        if self._checks is not None and type(value) is list and all(map(self._plain, value)):
            return [dict(record) for record in value]
        return super()._deserialize(value, attr, data, **kwargs)

    def _plain(self, record) -> bool:
        checks, required = self._checks
        if type(record) is not dict or not required <= record.keys():
            return False
        for key, value in record.items():
            check = checks.get(key)
            if check is None:
                return False
            allow_none, validators = check
            if value is None:
                if not allow_none:
                    return False
                continue
            if type(value) is not str or CONTROL_CHARS.search(value):
                return False
            for passes in validators:
                if not passes(value):
                    return False
        return True


def _flat_checks(schema: Schema):
    """``({name: (allow_none, validators)}, required names)`` when ``schema`` holds only
    plain ``Text`` fields loaded under their own names, without hooks; else None."""
    if any(schema._hooks.values()) or schema.unknown != RAISE:
        return None
    checks, required = {}, set()
    for name, field in schema.load_fields.items():
        if type(field) is not Text or field.data_key not in (None, name) or field.attribute:
            return None
        checks[name] = (field.allow_none, tuple(_passes(v) for v in field.validators))
        if field.required:
            required.add(name)
    return checks, frozenset(required)


def _passes(validator):
    """``validator`` as a test of a string (True: it passes), for ``Records``' fast path:
    a length or a choice checked in place (thousands of records, a call each), any other
    validator called."""
    if type(validator) is validate.Length and validator.equal is None:
        low, high = validator.min, validator.max
        return lambda value: (
            (low is None or len(value) >= low) and (high is None or len(value) <= high)
        )
    if type(validator) is validate.OneOf and all(type(c) is str for c in validator.choices):
        return frozenset(validator.choices).__contains__

    def passes(value) -> bool:
        try:
            return validator(value) is not False
        except ValidationError:
            return False

    return passes


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
