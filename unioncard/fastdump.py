"""A response schema's ``dump``, compiled once into plain Python: the same answer, cheaper.

``marshmallow``'s ``Schema.dump`` walks every field through ``Field.serialize`` →
``Field.get_value`` → ``Schema.get_attribute`` → ``utils.get_value`` on every call (about a
third of the CPU of the mini-program's ``GET /me``). ``dumper(schema_class)`` does the same
walk once and keeps, per field, its key, how to read its value and the field's own
``_serialize``: the result is the schema's ``dump`` (the tests compare them). Whatever the
compiled form does not know (a schema with dump hooks, ``only``/``exclude``, a field with a
default or one that reads no attribute, such as ``fields.Method``) goes through marshmallow
itself, field by field or for the whole schema.

Every ``@blp.response`` of the project's ``Blueprint`` (``unioncard.openapi``) answers through
it (``compile_into``); the OpenAPI document still describes the answer from the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, missing
from marshmallow.utils import _get_value_for_key, ensure_text_type

Dump = Callable[[Any], Any]


# the types read by attribute alone (an entity): no item access, known without asking each
# object (an instance's own ``__getitem__`` would not make it subscriptable: the same answer)
_NO_ITEMS: set[type] = set()


def _read(name: str) -> Callable[[Any], Any]:
    """``utils.get_value(obj, name, missing)`` with the lookups decided once."""
    keys = name.split(".")

    def one(obj, key):
        if type(obj) is dict:
            try:
                return obj[key]
            except KeyError:
                return getattr(obj, key, missing)
        return _get_value_for_key(obj, key, missing)

    if len(keys) > 1:

        def dotted(obj):
            for key in keys:
                obj = one(obj, key)
            return obj

        return dotted
    key = keys[0]

    def plain(obj):  # one call a field: the common case, the view's dict or an entity
        kind = type(obj)
        if kind is dict:
            try:
                return obj[key]
            except KeyError:
                return getattr(obj, key, missing)
        if kind in _NO_ITEMS or not hasattr(obj, "__getitem__"):
            if kind not in _NO_ITEMS and not hasattr(kind, "__getitem__"):
                _NO_ITEMS.add(kind)
            return getattr(obj, key, missing)
        return _get_value_for_key(obj, key, missing)

    return plain


def _string(value, attr, obj):  # String._serialize
    if value is None or type(value) is str:
        return value
    return ensure_text_type(value)


def _converter(field: fields.Field) -> Callable[[Any, str, Any], Any]:
    """The field's ``_serialize``; a nested schema's compiled dump instead of its ``dump``."""
    kind = type(field)
    if isinstance(field, fields.Nested) and kind._serialize is fields.Nested._serialize:
        inner = field.schema
        if field.many or not _compilable(inner):
            return field._serialize
        nested = _compile(inner)
        return lambda value, attr, obj: None if value is None else nested(value)
    if isinstance(field, fields.List) and kind._serialize is fields.List._serialize:
        each = _converter(field.inner)
        return lambda value, attr, obj: (
            None if value is None else [each(v, attr, obj) for v in value]
        )
    if kind._serialize is fields.String._serialize:
        return _string
    if kind._serialize is fields.Field._serialize:  # no formatting (Boolean, Raw)
        return lambda value, attr, obj: value
    return field._serialize


def _compilable(schema: Schema) -> bool:
    return (
        type(schema).get_attribute is Schema.get_attribute
        and not schema.many
        and not schema.only
        and not schema.exclude
        # no pre_dump / post_dump hook (marshmallow 4 keys them "pre_dump", 3 by tuples)
        and not any("dump" in str(tag) for tag, names in schema._hooks.items() if names)
    )


def _compile(schema: Schema) -> Dump:
    steps = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        if not field._CHECK_ATTRIBUTE or field.dump_default is not missing:
            steps.append((key, None, field, name))  # marshmallow's own Field.serialize
        else:
            steps.append((key, _read(field.attribute or name), _converter(field), name))

    def dump(obj):
        out = schema.dict_class()
        for key, read, convert, name in steps:
            if read is None:
                value = convert.serialize(name, obj, accessor=schema.get_attribute)
            else:
                value = read(obj)
                if value is missing:
                    continue
                value = convert(value, name, obj)
            if value is not missing:
                out[key] = value
        return out

    return dump


@cache
def dumper(schema_class: type[Schema]) -> Dump:
    """``schema_class().dump``, compiled once (marshmallow's own when it cannot be)."""
    schema = schema_class()
    return _compile(schema) if _compilable(schema) else schema.dump


def compile_into(schema: Schema) -> Schema:
    """Give a response schema object the compiled dump (``Blueprint.response`` does this for
    every answer of the API). A ``many`` schema dumps each item with its item schema's.
    Under test (``app.testing``) every answer is also dumped by marshmallow and must be the
    same: the whole suite checks the compiled form against the real one."""
    plain = type(schema)
    if plain.__init__ is not Schema.__init__ or schema.only or schema.exclude or schema.partial:
        return schema  # made with options the compiled form does not repeat
    one = dumper(plain)
    real = schema.dump
    if schema.many:

        def fast(obj):
            return [one(item) for item in obj]

    else:
        fast = one

    def dump(obj):
        if not current_app.testing:
            return fast(obj)
        if schema.many:
            obj = list(obj)  # dumped twice below
        answer = fast(obj)
        expected = real(obj)
        if answer != expected:
            raise AssertionError(f"compiled dump of {plain.__name__}: {answer!r} != {expected!r}")
        return answer

    schema.dump = dump
    return schema
