"""The OpenAPI document tells the truth: security, nullability, types, headers, timestamps.

The staff console and the mini-program generate their typed clients from /openapi.json, and
/docs calls the API with it, so every claim here is checked against what the app does.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import current_app
from marshmallow import fields

from tests.world import build_world, login, member_of
from unioncard.extensions import db
from unioncard.webfields import Text, Timestamp

METHODS = ("get", "post", "put", "patch", "delete")
# answers that are not one model's row: only the numbers asked for, all present
NOT_A_ROW = {"RevealOut"}
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def _operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _registered_schemas():
    """Every marshmallow schema the document names, with its component name."""
    api = current_app.extensions["unioncard.api"]
    plugin = next(p for p in api.spec.plugins if hasattr(p, "converter"))
    for key, name in plugin.converter.refs.items():
        schema = key[0] if isinstance(key, tuple) else key
        yield name, schema() if isinstance(schema, type) else schema


def _response_schema_names(spec) -> set[str]:
    """Component schemas reachable from a response (not only from a request body)."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] not in found:
                name = ref.rsplit("/", 1)[1]
                found.add(name)
                walk(spec["components"]["schemas"][name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for _, _, operation in _operations(spec):
        walk(operation.get("responses", {}))
    walk(spec["components"].get("responses", {}))
    walk(spec["components"].get("headers", {}))
    return found


@pytest.fixture()
def spec(client):
    return client.get("/openapi.json").get_json()


def test_every_operation_declares_security_and_the_app_enforces_it(client, spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["staffToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["staffToken"]["description"],
    }
    anonymous = []
    for path, method, operation in _operations(spec):
        assert "security" in operation, (method, path)
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(url)
        names = {name for requirement in operation["security"] for name in requirement}
        if names:
            assert names <= set(schemes), (method, path, names)
            if path.startswith("/api/admin/"):
                assert names == {"staffToken"}, (method, path)
            if path.startswith("/api/miniapp/"):
                assert names == {"memberToken"}, (method, path)
            # no token (or no signature): refused before anything else happens
            assert response.status_code == 401, (method, path, response.get_json())
        else:
            anonymous.append(f"{method} {path}")
            assert response.status_code != 401, (method, path)
    assert "post /api/admin/v1/auth/login" in anonymous
    assert "post /api/miniapp/v1/auth/login" in anonymous
    assert len(anonymous) < 10, anonymous


def test_pagination_header_is_documented_as_the_json_it_is(client, ctx, spec):
    build_world(members_per_union=2)
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["required"] is True and "schema" not in header
    ref = header["content"]["application/json"]["schema"]["$ref"]
    properties = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    listing = spec["paths"]["/api/admin/v1/members"]["get"]["responses"]["200"]
    assert listing["headers"]["X-Pagination"]["$ref"] == "#/components/headers/PAGINATION"

    r = client.get("/api/admin/v1/members?page_size=1", headers=login(client, "city_admin"))
    sent = json.loads(r.headers["X-Pagination"])
    assert sent["total"] == 6 and sent["page"] == 1 and sent["next_page"] == 2
    assert set(sent) <= set(properties)
    assert sent["total_capped"] is False and sent["total_display"] == "6"
    kinds = {"total_capped": "boolean", "total_display": "string", "next_cursor": "string"}
    assert all(properties[key]["type"] == kinds.get(key, "integer") for key in sent)


def test_every_timestamp_in_an_answer_carries_its_offset(client, ctx):
    world = build_world(members_per_union=1)
    headers = login(client, "ga1_operator")
    member = member_of(world.org("gA1"))
    r = client.patch(f"/api/admin/v1/members/{member.id}", json={"remark": "改"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    db.session.expire_all()
    body = client.get(f"/api/admin/v1/members/{member.id}", headers=headers).get_json()
    for key in ("created_at", "updated_at"):
        assert OFFSET.search(body[key]), (key, body[key])


def test_one_string_type_and_one_timestamp_type_for_every_schema(ctx, spec):
    answered = _response_schema_names(spec)
    plain = []
    for name, schema in _registered_schemas():
        for field_name, field in schema.fields.items():
            inner = [field]
            if isinstance(field, fields.List):
                inner.append(field.inner)
            if isinstance(field, fields.Dict):
                inner.extend(f for f in (field.key_field, field.value_field) if f)
            for f in inner:
                if isinstance(f, fields.String) and not isinstance(f, Text):
                    plain.append(f"{name}.{field_name}: {type(f).__name__}")
                if (
                    name in answered
                    and isinstance(f, fields.DateTime)
                    and not isinstance(f, Timestamp)
                ):
                    plain.append(f"{name}.{field_name}: {type(f).__name__}")
    # flask-smorest's own error and pagination schemas are the only exceptions
    assert all(entry.split(".")[0] in {"Error", "PaginationMetadata"} for entry in plain), plain


def test_every_response_property_has_a_type(spec):
    untyped = []
    for name in _response_schema_names(spec):
        for prop, definition in spec["components"]["schemas"][name].get("properties", {}).items():
            if not ({"type", "$ref", "allOf", "oneOf", "anyOf"} & set(definition)):
                untyped.append(f"{name}.{prop}")
    assert untyped == []


def test_nullable_columns_answer_as_nullable_fields(ctx, spec):
    """Each response schema is matched to the model it shows (most shared column names);
    a column that may be NULL must be a field that may be null."""
    models = {
        mapper.class_.__name__: {c.key: c.nullable for c in mapper.columns}
        for mapper in db.Model.registry.mappers
    }
    answered = _response_schema_names(spec)
    missing = []
    for name, schema in _registered_schemas():
        if name not in answered:
            continue
        dumped = {n: (f.attribute or n) for n, f in schema.fields.items() if not f.load_only}
        model = max(models, key=lambda m: len(set(dumped.values()) & set(models[m])))
        if len(set(dumped.values()) & set(models[model])) < 3 or name in NOT_A_ROW:
            continue
        for field_name, attribute in dumped.items():
            if models[model].get(attribute) and not schema.fields[field_name].allow_none:
                missing.append(f"{name}.{field_name} ({model}.{attribute})")
    assert missing == []
    member = spec["components"]["schemas"]["MiniJoinOut"]["properties"]
    assert member["decided_at"]["nullable"] and member["reason"]["nullable"]
    assert spec["components"]["schemas"]["CardRowOut"]["properties"]["card_no"]["nullable"]
    assert spec["components"]["schemas"]["InsBatchOut"]["properties"]["handler_phone"]["nullable"]


def test_unknown_query_parameter_is_refused_naming_it(client, ctx):
    build_world(members_per_union=1)
    headers = login(client, "ga1_operator")
    r = client.get("/api/admin/v1/cards?status=x&page=1", headers=headers)
    body = r.get_json()
    assert r.status_code == 422, body
    assert list(body["errors"]["query"]) == ["status"]
    assert "status" in body["message"] and "card_status" in body["message"]
    assert client.get("/api/admin/v1/cards?card_status=未办卡", headers=headers).status_code == 200
    # an operation without query parameters refuses any
    r = client.get("/api/admin/v1/auth/me?x=1", headers=headers)
    assert r.status_code == 422 and "x" in r.get_json()["errors"]["query"]


def test_method_not_allowed_carries_allow(client):
    r = client.put("/api/admin/v1/auth/login", json={})
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"POST", "OPTIONS"}


def test_wechatpay_notify_failure_matches_its_schema(client, spec):
    operation = spec["paths"]["/api/integrations/wechatpay/v1/notify"]["post"]
    assert operation["security"] == [{"wechatpaySignature": []}]
    documented = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
    fail = spec["components"]["schemas"][documented.rsplit("/", 1)[1]]
    assert fail["properties"]["code"] == {
        "type": "string",
        "enum": ["FAIL"],
        **{k: v for k, v in fail["properties"]["code"].items() if k == "description"},
    }
    r = client.post("/api/integrations/wechatpay/v1/notify", json={"id": "x"})
    body = r.get_json()
    assert r.status_code == 401 and body["code"] == "FAIL"
    assert set(body) == set(fail["properties"])
