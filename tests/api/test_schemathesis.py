"""Property-based run over /openapi.json: every answer conforms to the document.

Schemathesis generates cases for every operation of the document (the schema is read from
the app itself) and calls the app in-process, once signed in (a district admin's token for
the staff API, a member's token for the mini-program) and once anonymous. Each answer is
checked against the document: no 5xx, a documented status code and content type, the
response body's schema (types, nullability) and the documented headers (``X-Pagination``).
Error answers always have the one error shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.sandboxes import ServerThread, dev_sms
from integrations.sms.sandbox import create_sms_sandbox
from integrations.wechat.sandbox import create_wechat_sandbox
from tests.world import build_world, login

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {"signed-in": 8, "anonymous": 3}
# WeChat Pay reads its own failure shape: {"code": "FAIL", ...} (documented per status)
OWN_ERROR_SHAPE = "/api/integrations/wechatpay/"


@pytest.mark.parametrize("caller", list(EXAMPLES))
def test_every_answer_conforms_to_the_document(client, ctx, monkeypatch, caller):
    build_world(members_per_union=2)
    # the mini-program's login asks WeChat: its loopback sandbox answers (odd codes: 40029)
    wechat = ServerThread(
        create_wechat_sandbox(
            app_id=ctx.config["WECHAT_APP_ID"], app_secret=ctx.config["WECHAT_APP_SECRET"]
        )
    )
    monkeypatch.setitem(ctx.config, "WECHAT_API_BASE_URL", wechat.url)
    # the service hall's SMS codes go to the SMS sandbox (integrations/sms/sandbox.py)
    sms = ServerThread(create_sms_sandbox(**dev_sms()))
    monkeypatch.setitem(ctx.config, "SMS_API_ENDPOINT", sms.url.split("://", 1)[1])
    monkeypatch.setitem(ctx.config, "SMS_API_SCHEME", "http")
    # one login per operation from one address, among fuzzed wrong ones: the per-IP login
    # limit and captcha (tests/api/test_login_guard.py) would stop the run itself
    monkeypatch.setitem(ctx.config, "LOGIN_IP_LIMIT", 10**6)
    monkeypatch.setitem(ctx.config, "LOGIN_CAPTCHA_AFTER_IP", 10**6)
    # the same for the members' logins (one per mini-program operation; the limit's own tests
    # are in tests/miniapp/test_security.py)
    monkeypatch.setitem(ctx.config, "MINIAPP_LOGIN_LIMIT", 10**6)
    try:
        _fuzz(client, ctx, caller)
    finally:
        wechat.stop()
        sms.stop()


def _member_token(client) -> dict:
    r = client.post("/api/miniapp/v1/auth/login", json={"code": "demo-schemathesis"})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def _fuzz(client, ctx, caller):
    headers: dict = {}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", ctx)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 150
    checked = []
    for operation in operations:
        headers.clear()
        if caller == "signed-in":  # a fresh session each time: a logout case ends one
            if operation.path.startswith("/api/miniapp/"):
                headers.update(_member_token(client))
            else:
                headers.update(login(client, "da_admin"))

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES[caller],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
            if (
                response.status_code >= 400
                and "json" in response.headers.get("Content-Type", "")
                and not case.path.startswith(OWN_ERROR_SHAPE)
            ):
                body = response.json()
                assert set(body) == {"code", "status", "message", "errors"}
                assert body["code"] == response.status_code
            if response.status_code == 405:
                assert response.headers.get("Allow")

        run()
        checked.append(operation.label)
    assert len(checked) == len(operations)
