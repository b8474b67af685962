"""The mini-program's contract (shared/spec/contracts.md, the mini-program table) against
/openapi.json, and against the live app:

- every path of the table is in the document with the body/query fields the table names;
- the answers' schemas carry the fields the table's answer column names in words
  (``ANSWER_FIELDS``; dotted names reach into nested objects and list items), the insurance
  answers included: the plans with the member's payable share and coverage dates, the
  enrolment with the ``wx.requestPayment`` parameters, enrolments, payouts;
- no mini-program operation answers 5xx to odd input from a logged-in member, the insurance
  operations included (fuzzed as a carded member of gA2 with a 2026 plan open, WeChat Pay on
  its sandbox), and the 2xx answers the fuzzer gets carry the contract fields too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.insurance.helpers import TODAY, freeze_today
from tests.world import build_world

from .helpers import API, member_login
from .pay_helpers import carded_member, enrol, pay_live, plan_2026

CONTRACTS = Path("/work/shared/spec/contracts.md")
INSURANCE = "/insurance/"
PAYMENT = {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
ENROLMENT = {"id", "year", "plan_id", "plan_name", "status", "start_date", "end_date"}
# Answer fields the contract names in words, per operation (its 200/201 schema must have
# them). "plans.payable": the field ``payable`` of the objects in ``plans``.
ANSWER_FIELDS = {
    ("post", "/auth/login"): {"token", "expires_in", "bound"},
    ("post", "/me/phone"): {"mobile"},
    ("post", "/me/identity"): {
        "name", "id_type", "id_number", "id_expiry", "country", "gender", "birth_date",
        "mobile", "member_id",
    },
    ("get", "/me"): {"profile", "membership", "card", "coverage"},
    ("get", "/unions"): {"id", "name"},
    ("post", "/membership/applications"): {"id", "union_id", "union", "status"},
    ("get", "/membership/applications/current"): {
        "id", "union_id", "union", "source", "status", "reason", "member_no",
    },
    ("get", "/branches"): {"code", "name", "address"},
    ("post", "/card/applications"): {"status", "channel", "verification"},
    ("get", "/card/application"): {"status", "log"},
    ("get", "/insurance/plans"): {
        "year", "coverage_start", "coverage_end", "plans.id", "plans.name", "plans.year",
        "plans.payable", "plans.coverage_start", "plans.coverage_end",
    },
    ("post", "/insurance/enrolments"): ENROLMENT
    | {"individual_share", "order.out_trade_no", "order.amount"}
    | {f"payment.{name}" for name in PAYMENT},
    ("get", "/insurance/enrolments"): ENROLMENT | {"covered", "in_force", "payment_status"},
    ("get", "/insurance/payouts"): {"id", "year", "item", "amount", "paid_on"},
}  # fmt: skip


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
    """The object schema behind a $ref, an array's items or a nullable wrapper."""
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            refs = [s for s in schema[key] if "$ref" in s or "properties" in s]
            if refs:
                return _resolve(spec, refs[0])
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if schema.get("type") == "array":
        return _resolve(spec, schema["items"])
    return schema


def documented_fields(spec, schema, prefix: str = "") -> set[str]:
    """Every field of an answer schema, nested objects and list items as dotted names."""
    names = set()
    for name, sub in _resolve(spec, schema).get("properties", {}).items():
        names.add(prefix + name)
        if _resolve(spec, sub).get("properties"):
            names |= documented_fields(spec, sub, f"{prefix}{name}.")
    return names


def missing_in_answer(wanted: set[str], body) -> set[str]:
    """The wanted (dotted) fields an actual answer lacks; a null or empty list on the way
    makes the fields below it vacuous (e.g. no plans open that year)."""
    missing = set()
    for name in wanted:
        values = [body]
        for part in name.split("."):
            values = [v for v in values for v in (v if isinstance(v, list) else [v])]
            values = [v for v in values if v is not None]
            if any(not isinstance(v, dict) or part not in v for v in values):
                missing.add(name)
                break
            values = [v[part] for v in values]
    return missing


def ok_answer(operation: dict) -> dict:
    answers = operation["responses"]
    ok = answers.get("200") or answers.get("201")
    return ok["content"]["application/json"]["schema"]


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def test_the_table_was_read():
    assert len(ROWS) == 15
    assert sum(INSURANCE in path for _m, path, _f in ROWS) == 4


def test_every_answer_check_is_a_row_of_the_table():
    rows = {(m, p) for m, p, _f in ROWS}
    assert set(ANSWER_FIELDS) <= rows, sorted(set(ANSWER_FIELDS) - rows)
    assert {(m, p) for m, p in rows if INSURANCE in p} <= set(ANSWER_FIELDS)


def test_missing_in_answer_walks_nested_fields():
    wanted = {"year", "plans.payable", "payment.appId"}
    assert missing_in_answer(wanted, {"year": 1, "plans": [], "payment": None}) == set()
    body = {"year": 1, "plans": [{"payable": "1.00"}, {"fee": "2.00"}], "payment": {}}
    assert missing_in_answer(wanted, body) == {"plans.payable", "payment.appId"}
    assert missing_in_answer({"id"}, [{"id": 1}, {"name": "x"}]) == {"id"}


@pytest.mark.parametrize(("method", "path", "fields"), ROWS, ids=[f"{m} {p}" for m, p, _f in ROWS])
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
        documented = documented_fields(spec, ok_answer(operation))
        assert wanted <= documented, sorted(wanted - documented)


def test_the_enrolment_answer_documents_exactly_the_payment_parameters(spec):
    operation = spec["paths"][f"{API}/insurance/enrolments"]["post"]
    assert "201" in operation["responses"]
    payment = {n for n in documented_fields(spec, ok_answer(operation)) if n.startswith("payment.")}
    assert payment == {f"payment.{name}" for name in PAYMENT}


def _fuzz(operation, headers: dict, seen: set[int], wanted: set[str] | None, body=None) -> None:
    """Up to 8 generated cases (``body`` merged into half of them): never 5xx, errors in the
    one error shape, and the 2xx answers carry the contract's fields; statuses go to ``seen``."""
    cases = operation.as_strategy()
    if body:
        cases = st.one_of(cases, cases.map(lambda case: _with_body(case, body)))

    @given(case=cases)
    @settings(
        max_examples=12 if body else 8,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers=headers)
        seen.add(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "status", "message", "errors"}
        elif wanted and response.status_code in (200, 201):
            lacking = missing_in_answer(wanted, response.json())
            assert not lacking, (case.method, case.formatted_path, sorted(lacking))

    run()


def _with_body(case, body: dict):
    if isinstance(case.body, dict):
        case.body = case.body | body
    return case


def test_member_operations_never_answer_5xx(client, ctx, monkeypatch, time_machine):
    freeze_today(time_machine, TODAY)
    world = build_world(members_per_union=1)
    plan = plan_2026(world)
    monkeypatch.setitem(ctx.config, "MINIAPP_POST_LIMIT", 10_000)
    monkeypatch.setitem(ctx.config, "MINIAPP_LOGIN_LIMIT", 10_000)
    with pay_live(ctx, monkeypatch) as env:
        carded_member(client, world, code="demo-fuzz-member")  # gA2, carded, phone + identity
        schema = schemathesis.openapi.from_wsgi("/openapi.json", ctx)
        operations = [
            op for op in (r.ok() for r in schema.get_all_operations()) if op.path.startswith(API)
        ]
        insurance = [op for op in operations if INSURANCE in op.path]
        assert len(operations) >= 18 and len(insurance) == 4
        headers: dict = {}
        statuses: dict[tuple[str, str], set[int]] = {}
        for n, operation in enumerate(operations):
            headers.clear()  # a fresh session each time: a logout case ends one
            if INSURANCE in operation.path:  # the carded member, with a plan open to them
                headers.update(member_login(client, "demo-fuzz-member"))
            else:  # a new WeChat user with a phone, so real-name cases reach their checks
                headers.update(member_login(client))
                phone = {"phone_code": f"phone-1380000{n:04d}"}
                assert (
                    client.post(f"{API}/me/phone", json=phone, headers=headers).status_code == 200
                )
            key = (operation.method.lower(), operation.path.removeprefix(API))
            seen = statuses.setdefault(key, set())

            real = {"plan_id": plan.id, "year": plan.year}  # the plan open to the member
            body = real if key == ("post", "/insurance/enrolments") else None
            _fuzz(operation, headers, seen, ANSWER_FIELDS.get(key), body)
        # the insurance reads were answered for real, not refused before reaching the member;
        # the enrolment was made once with the real plan (its answer checked above, payment
        # parameters included) and odd input was refused
        for path in ("/insurance/plans", "/insurance/enrolments", "/insurance/payouts"):
            assert 200 in statuses[("get", path)], (path, statuses[("get", path)])
        enrolled = statuses[("post", "/insurance/enrolments")]
        assert 201 in enrolled and enrolled - {201}, enrolled
        assert len(env.boxes.wechatpay.orders) == 1  # the prepay went to the Pay sandbox

        headers = member_login(client, "demo-fuzz-member")
        offered = client.get(f"{API}/insurance/plans?year=2026", headers=headers).get_json()
        assert [p["id"] for p in offered["plans"]] == [plan.id]
        assert not missing_in_answer(ANSWER_FIELDS[("get", "/insurance/plans")], offered)
        listed = client.get(f"{API}/insurance/enrolments", headers=headers).get_json()
        assert [e["plan_id"] for e in listed] == [plan.id]
        assert not missing_in_answer(ANSWER_FIELDS[("get", "/insurance/enrolments")], listed)
        # asked again while unpaid, the same enrolment and order come back to pay
        again = enrol(client, headers, plan)
        assert again.status_code == 201, again.get_json()
        body = again.get_json()
        assert not missing_in_answer(ANSWER_FIELDS[("post", "/insurance/enrolments")], body)
        assert set(body["payment"]) == PAYMENT and body["id"] == listed[0]["id"]
        assert list(env.boxes.wechatpay.orders) == [body["order"]["out_trade_no"]]
