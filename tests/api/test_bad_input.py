"""Bad input never reaches a 500: control characters, deep JSON, absurd timestamps, LIKE
wildcards, odd upload names. Each gets a clear 4xx with a Chinese message."""

from __future__ import annotations

import io
import json
import re

import pytest

from integrations.signing import signed_headers
from tests.world import build_world, login, member_of
from unioncard.extensions import db
from unioncard.imports.models import ImportJob

METHODS = ("get", "post", "put", "patch", "delete")
CONTROL = "x\x00y\x1f"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=1)


def _chinese(body):
    assert CHINESE.search(body["message"]), body
    return body


def _resolve(spec, node):
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _text_paths(spec, schema, prefix="", depth=0):
    """(dotted path, body holding a control character at that path) for every string."""
    schema = _resolve(spec, schema)
    if depth > 6:
        return
    if schema.get("type") == "string" and not schema.get("format") and "enum" not in schema:
        yield prefix, CONTROL
        return
    if schema.get("type") == "array":
        yield from _text_paths(spec, schema.get("items", {}), f"{prefix}.0", depth + 1)
        return
    for name, prop in schema.get("properties", {}).items():
        if _resolve(spec, prop).get("readOnly"):
            continue
        yield from _text_paths(spec, prop, f"{prefix}.{name}" if prefix else name, depth + 1)


def _body_for(path: str, value):
    """{"a": {"b": [ {"c": value} ]}} from "a.b.0.c"."""
    keys = path.split(".")
    body = value
    for key in reversed(keys):
        body = [body] if key == "0" else {key: body}
    return body


def test_control_characters_in_every_text_field_of_every_operation(client, world):
    """0 × 5xx: every string field (body, query, form) with NUL and \\x1f is a 422 naming it."""
    spec = client.get("/openapi.json").get_json()
    headers = login(client, "da_admin")
    probes = 0
    for path, item in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            cases = []
            for param in operation.get("parameters", []):
                if param["in"] == "query" and param.get("schema", {}).get("type") == "string":
                    cases.append(
                        ("query", param["name"], {"query_string": {param["name"]: CONTROL}})
                    )
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for field, value in _text_paths(spec, content["application/json"]["schema"]):
                    cases.append(("json", field, {"json": _body_for(field, value)}))
            if "multipart/form-data" in content:
                form = _resolve(spec, content["multipart/form-data"]["schema"])
                for name, prop in form.get("properties", {}).items():
                    if (
                        _resolve(spec, prop).get("type") == "string"
                        and prop.get("format") != "binary"
                    ):
                        cases.append(("form", name, {"data": {name: CONTROL}}))
            for location, field, kwargs in cases:
                r = getattr(client, method)(url, headers=headers, **kwargs)
                probes += 1
                assert r.status_code == 422, (
                    method,
                    path,
                    field,
                    r.status_code,
                    r.get_data()[:300],
                )
                body = _chinese(r.get_json())
                assert field in body["errors"][location], (method, path, body)
                assert "控制字符" in body["errors"][location][field][0]
    assert probes > 150, probes


def test_a_branch_name_with_a_control_character_is_refused(client, world):
    headers = login(client, "ga1_operator")
    r = client.post(
        "/api/admin/v1/branches",
        headers=headers,
        json={"code": "B9", "name": "网点\x1f一", "address": "某路1号"},
    )
    assert r.status_code == 422
    assert "name" in _chinese(r.get_json())["errors"]["json"]
    r = client.get("/api/admin/v1/imports/template", headers=headers)
    assert r.status_code == 200
    r.close()


def test_member_remark_with_nul_is_refused_and_nothing_changes(client, world):
    member = member_of(world.org("gA1"))
    headers = login(client, "ga1_operator")
    r = client.patch(
        f"/api/admin/v1/members/{member.id}", headers=headers, json={"remark": "x\u0000y"}
    )
    assert r.status_code == 422
    assert _chinese(r.get_json())["errors"]["json"]["remark"]
    db.session.expire_all()
    assert member_of(world.org("gA1")).remark != "x\u0000y"


def test_a_reveal_reason_must_be_real_text(client, world):
    member = member_of(world.org("gA1"))
    headers = login(client, "ga1_admin")
    for reason in ("\u0000", "\x1f\x1f"):
        r = client.post(
            f"/api/admin/v1/members/{member.id}/reveal",
            headers=headers,
            json={"fields": ["id_number"], "reason": reason},
        )
        assert r.status_code == 422, r.get_json()
        assert "reason" in _chinese(r.get_json())["errors"]["json"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/admin/v1/auth/login",
        "/api/miniapp/v1/auth/login",
        "/api/integrations/bank/v1/callbacks/card-results",
    ],
)
@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400(client, ctx, path, depth):
    body = "[" * depth + "]" * depth
    r = client.post(path, data=body, content_type="application/json")
    assert r.status_code == 400, r.get_data()[:300]
    assert "嵌套" in _chinese(r.get_json())["message"]


def test_malformed_json_is_a_400_in_chinese(client, ctx):
    r = client.post("/api/admin/v1/auth/login", data='{"a": ', content_type="application/json")
    assert r.status_code == 400
    _chinese(r.get_json())


def test_a_5000_digit_bank_timestamp_is_a_401(client, ctx):
    path = "/api/integrations/bank/v1/callbacks/card-results"
    body = json.dumps({"batch_no": "X", "feedback_at": "x", "results": []}).encode()
    headers = signed_headers(
        "BOC-SH", ctx.config["BANK_CALLBACK_SECRETS"]["BOC-SH"], "POST", path, body
    )
    headers["X-Timestamp"] = "9" * 5000
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 401
    _chinese(r.get_json())


def test_a_5000_digit_wechatpay_timestamp_is_a_401(client, ctx):
    headers = {
        "Wechatpay-Timestamp": "1" * 5000,
        "Wechatpay-Nonce": "n",
        "Wechatpay-Signature": "s",
        "Wechatpay-Serial": ctx.config.get("WECHATPAY_PLATFORM_SERIAL") or "x",
    }
    r = client.post("/api/integrations/wechatpay/v1/notify", json={"id": "x"}, headers=headers)
    assert r.status_code == 401
    body = r.get_json()
    assert body["code"] == "FAIL" and CHINESE.search(body["message"])


@pytest.mark.parametrize("wildcard", ["%", "c_ty", "\\"])  # usernames hold "_" (city_admin)
def test_like_wildcards_are_characters_in_the_accounts_search(client, world, wildcard):
    headers = login(client, "city_admin")
    everyone = client.get("/api/admin/v1/accounts?page_size=100", headers=headers).get_json()
    assert len(everyone) > 10
    r = client.get("/api/admin/v1/accounts", headers=headers, query_string={"q": wildcard})
    assert r.status_code == 200
    assert r.get_json() == []  # no account name holds it


def test_control_characters_in_a_query_value_are_refused(client, world):
    headers = login(client, "city_admin")
    r = client.get("/api/admin/v1/accounts", headers=headers, query_string={"q": "a\x00"})
    assert r.status_code == 422
    assert "q" in _chinese(r.get_json())["errors"]["query"]


def test_upload_names_are_normalised_before_stored_or_echoed(client, world):
    headers = login(client, "ga1_operator")
    template = client.get("/api/admin/v1/imports/template", headers=headers)
    data = template.data
    template.close()
    name = "../../tmp/名单\x1f2026\u0085.xlsx"
    r = client.post(
        "/api/admin/v1/imports",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name)},
    )
    assert r.status_code in (201, 202), r.get_json()
    job_id = r.get_json()["id"]
    stored = db.session.get(ImportJob, job_id).filename
    assert stored == "名单2026.xlsx"
    r = client.get(f"/api/admin/v1/imports/{job_id}/file", headers=headers)
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    r.close()
    assert disposition.startswith("attachment; filename*=UTF-8''")
    assert not re.search(r'[\x00-\x1f"]', disposition)


def test_brackets_inside_strings_are_not_nesting(client, world):
    r = client.post(
        "/api/admin/v1/auth/login",
        json={"username": "[{" * 40 + '\\"]', "password": "}]" * 40},
    )
    assert r.status_code in (401, 422), r.get_json()
    assert "嵌套" not in r.get_json()["message"]
