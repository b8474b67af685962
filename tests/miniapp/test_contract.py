"""/openapi.json keeps every path and field of the contract's mini-program table
(shared/spec/contracts.md), and no mini-program operation answers 5xx to odd input from
a logged-in member.

The insurance rows (GET /insurance/plans ... GET /insurance/payouts) belong to the insurance
issue (helper D): their cases fail until those routes land, as expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.world import build_world

from .helpers import API, live, member_login

CONTRACTS = Path("/work/shared/spec/contracts.md")
INSURANCE = "/insurance/"
# Answer fields the contract names in words, per path (a schema must have them).
ANSWER_FIELDS = {
    ("post", "/auth/login"): {"token", "expires_in", "bound"},
    ("post", "/me/phone"): {"mobile"},
    ("get", "/me"): {"profile", "membership", "card", "coverage"},
    ("post", "/card/applications"): {"status", "channel", "verification"},
    ("get", "/card/application"): {"status", "log"},
}


def contract_rows() -> list[tuple[str, str, set[str]]]:
    """(method, path, body or query fields) of every row of the mini-program table."""
    if CONTRACTS.exists():
        text = CONTRACTS.read_text(encoding="utf-8")
        section = text.split("## Mini-program API", 1)[1].split("\n## ", 1)[0]
    else:  # the spec lives outside the repository; keep the table's rows here too
        section = FALLBACK
    rows = []
    for line in section.splitlines():
        m = re.match(r"\|\s*(GET|POST)\s+(\S+)\s*\|\s*([^|]*)\|", line)
        if m:
            fields = set(re.findall(r"\b([a-z_]+)\b", m.group(3).split("(")[0]))
            rows.append((m.group(1).lower(), m.group(2), fields))
    return rows


FALLBACK = """
| POST /auth/login | `{code}` | |
| POST /me/phone | `{phone_code}` | |
| POST /me/identity | `{name, id_type, id_number, id_expiry?, country?, gender?, birth_date?}` | |
| GET /me | | |
| GET /unions | `?q=&district=` | |
| POST /membership/applications | `{union_id, source, work_unit_address?}` | |
| GET /membership/applications/current | | |
| GET /branches | `?district=` | |
| POST /card/applications | `{branch_code, mailing_address, id_expiry}` | |
| GET /card/application | | |
| POST /card/application/cancel | | |
| GET /insurance/plans | `?year=` | |
| POST /insurance/enrolments | `{plan_id, year}` | |
| GET /insurance/enrolments | | |
| GET /insurance/payouts | | |
"""

ROWS = contract_rows()


def _resolve(spec, schema):
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") == "array":
        return _resolve(spec, schema["items"])
    return schema


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def test_the_table_was_read():
    assert len(ROWS) == 15
    assert sum(INSURANCE in path for _m, path, _f in ROWS) == 4


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    ROWS,
    ids=[f"{m} {p}" + (" (insurance, helper D)" if INSURANCE in p else "") for m, p, _f in ROWS],
)
def test_contract_path_and_fields_are_in_openapi(spec, method, path, fields):
    operation = spec["paths"].get(API + path, {}).get(method)
    assert operation is not None, f"{method.upper()} {API}{path} is missing from /openapi.json"
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        names |= set(_resolve(spec, body["schema"]).get("properties", {}))
    assert fields <= names, f"{method.upper()} {path}: missing {sorted(fields - names)}"
    wanted = ANSWER_FIELDS.get((method, path))
    if wanted:
        answers = operation["responses"]
        ok = answers.get("200") or answers.get("201")
        schema = _resolve(spec, ok["content"]["application/json"]["schema"])
        assert wanted <= set(schema["properties"]), sorted(wanted - set(schema["properties"]))


def test_member_operations_never_answer_5xx(client, ctx, monkeypatch):
    build_world(members_per_union=1)
    monkeypatch.setitem(ctx.config, "MINIAPP_POST_LIMIT", 10_000)
    monkeypatch.setitem(ctx.config, "MINIAPP_LOGIN_LIMIT", 10_000)
    with live(ctx, monkeypatch):
        schema = schemathesis.openapi.from_wsgi("/openapi.json", ctx)
        operations = [
            op
            for op in (r.ok() for r in schema.get_all_operations())
            if op.path.startswith(API) and INSURANCE not in op.path
        ]
        assert len(operations) >= 14
        headers: dict = {}
        for operation in operations:
            headers.clear()
            headers.update(member_login(client))  # a fresh session: a logout case ends one

            @given(case=operation.as_strategy())
            @settings(
                max_examples=8,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call(headers=headers)
                assert response.status_code < 500, (
                    case.method,
                    case.formatted_path,
                    response.text[:300],
                )
                if response.status_code >= 400:
                    assert set(response.json()) == {"code", "status", "message", "errors"}

            run()
