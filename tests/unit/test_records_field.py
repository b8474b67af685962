"""``Records``: a list of flat records loads to what a list of nested schemas loads, and
refuses with exactly its errors."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError, fields, validate

from unioncard.webfields import BaseSchema, Records, Text


class Item(BaseSchema):
    code = Text(required=True, validate=validate.Length(1, 5))
    kind = Text(required=True, validate=validate.OneOf(["a", "b"]))
    note = Text(allow_none=True, validate=validate.Length(max=8))


class Fast(BaseSchema):
    items = Records(Item, required=True, validate=validate.Length(1, 3))


class Plain(BaseSchema):
    items = fields.List(fields.Nested(Item), required=True, validate=validate.Length(1, 3))


def _load(schema, items):
    try:
        return "ok", schema().load({"items": items})
    except ValidationError as error:
        return "error", error.messages


GOOD = [
    [{"code": "A1", "kind": "a"}],
    [{"code": "A1", "kind": "a", "note": None}, {"code": "B2", "kind": "b", "note": "备注"}],
    # lengths at their bounds (the fast path checks lengths and choices in place)
    [{"code": "A", "kind": "b", "note": "12345678"}, {"code": "A1234", "kind": "a", "note": ""}],
]
BAD = [
    [],  # too few
    [{"code": "A1", "kind": "a"}] * 4,  # too many
    [{"code": "A1"}],  # a required key missing
    [{"code": "A1", "kind": "c"}],  # not one of
    [{"code": "A1234567", "kind": "a"}],  # too long
    [{"code": "", "kind": "a"}],  # too short
    [{"code": "A1", "kind": "a", "note": "x\x00y"}],  # a control character
    [{"code": None, "kind": "a"}],  # None where not allowed
    [{"code": 12, "kind": "a"}],  # not a string
    [{"code": "A1", "kind": "a", "extra": "1"}],  # an unknown key
    [{"code": "A1", "kind": "a"}, "A2"],  # not a record
    {"code": "A1", "kind": "a"},  # not a list
    [{"code": "A1", "kind": "a"}, {"code": "A1", "kind": "x", "note": "123456789"}],
]


@pytest.mark.parametrize("items", GOOD)
def test_plain_records_load_as_the_schema_loads_them(items):
    assert _load(Fast, items) == _load(Plain, items)
    assert _load(Fast, items)[0] == "ok"


@pytest.mark.parametrize("items", BAD)
def test_bad_records_give_the_schemas_errors(items):
    fast, plain = _load(Fast, items), _load(Plain, items)
    assert fast[0] == "error"
    assert fast == plain


def test_a_schema_that_is_not_flat_is_loaded_record_by_record():
    class Counted(BaseSchema):
        code = Text(required=True)
        count = fields.Integer()

    class Many(BaseSchema):
        items = Records(Counted)

    assert Many._declared_fields["items"]._checks is None
    assert Many().load({"items": [{"code": "A", "count": "3"}]}) == {
        "items": [{"code": "A", "count": 3}]
    }


@pytest.mark.parametrize("items", GOOD)
def test_plain_records_skip_the_per_record_load(items, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a record was loaded through the nested schema")

    monkeypatch.setattr(fields.Nested, "_deserialize", refuse)
    assert Fast().load({"items": items}) == {"items": items}
