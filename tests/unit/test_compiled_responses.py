"""Every ``@blp.response`` of the project's Blueprint dumps through the compiled form
(``fastdump.compile_into``); under test each answer is also dumped by marshmallow and must be
the same, so the whole suite checks the compiled form. These tests check that check."""

from __future__ import annotations

import pytest
from flask import Flask
from marshmallow import Schema, fields

from unioncard import fastdump
from unioncard.openapi import Blueprint


class Row(Schema):
    id = fields.Integer()
    name = fields.String()
    when = fields.Date(allow_none=True)


def test_a_blueprint_response_dumps_through_the_compiled_form():
    blp = Blueprint("t", __name__)
    seen = []

    @blp.response(200, Row(many=True))
    def rows():
        return [{"id": 1, "name": "甲", "when": None}, {"id": 2, "name": "乙", "when": None}]

    app = Flask(__name__)
    app.testing = True
    with app.test_request_context():
        seen.append(rows().get_json())
    assert seen == [[{"id": 1, "name": "甲", "when": None}, {"id": 2, "name": "乙", "when": None}]]


def test_a_compiled_dump_that_differs_from_marshmallow_fails_under_test(monkeypatch):
    monkeypatch.setattr(fastdump, "dumper", lambda cls: lambda obj: {"id": obj["id"]})
    schema = fastdump.compile_into(Row())
    app = Flask(__name__)
    with app.app_context():
        app.testing = True
        with pytest.raises(AssertionError, match="compiled dump of Row"):
            schema.dump({"id": 1, "name": "甲", "when": None})
        app.testing = False  # in production the compiled answer is given as it is
        assert schema.dump({"id": 1, "name": "甲", "when": None}) == {"id": 1}


def test_schemas_made_with_options_keep_marshmallows_dump():
    only = Row(only=("id",))
    assert fastdump.compile_into(only).dump({"id": 1, "name": "x", "when": None}) == {"id": 1}
    assert "dump" not in vars(only)


class _Entity:  # read by attribute alone, as an ORM entity
    def __init__(self, **values):
        self.__dict__.update(values)


class _Items(_Entity):  # read by item first, as marshmallow does
    def __getitem__(self, key):
        return {"name": "按键"}[key]


def test_objects_with_and_without_item_access_dump_as_marshmallow_does():
    dump, schema = fastdump.dumper(Row), Row()
    odd = _Entity(id=3, name="丙", when=None)
    odd.__getitem__ = lambda key: "never"  # an instance's own: no item access in Python
    for obj in (_Entity(id=1, name="甲", when=None), _Items(id=2, name="乙"), odd) * 2:
        assert dump(obj) == schema.dump(obj)
    assert _Entity in fastdump._NO_ITEMS and _Items not in fastdump._NO_ITEMS
