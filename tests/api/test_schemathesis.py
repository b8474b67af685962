"""Property-based run over /openapi.json: no request, however odd, gets a 5xx.

Schemathesis generates cases for every operation of the document (the schema is read
from the app itself) and calls the app in-process with a district admin's token.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from integrations.sandboxes import ServerThread
from integrations.wechat.sandbox import create_wechat_sandbox
from tests.world import build_world, login


def test_no_operation_answers_5xx(client, ctx, monkeypatch):
    build_world(members_per_union=2)
    # the mini-program's login asks WeChat: its loopback sandbox answers (odd codes: 40029)
    wechat = ServerThread(
        create_wechat_sandbox(
            app_id=ctx.config["WECHAT_APP_ID"], app_secret=ctx.config["WECHAT_APP_SECRET"]
        )
    )
    monkeypatch.setitem(ctx.config, "WECHAT_API_BASE_URL", wechat.url)
    # one login per operation from one address, among fuzzed wrong ones: the per-IP login
    # limit and captcha (tests/api/test_login_guard.py) would stop the run itself
    monkeypatch.setitem(ctx.config, "LOGIN_IP_LIMIT", 10**6)
    monkeypatch.setitem(ctx.config, "LOGIN_CAPTCHA_AFTER_IP", 10**6)
    try:
        _fuzz(client, ctx)
    finally:
        wechat.stop()


def _fuzz(client, ctx):
    headers: dict = {}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", ctx)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    checked = []
    for operation in operations:
        headers.clear()
        headers.update(login(client, "da_admin"))  # a fresh session: a logout case ends one

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
            if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
                assert set(response.json()) == {"code", "status", "message", "errors"}

        run()
        checked.append(operation.label)
    assert len(checked) == len(operations)
