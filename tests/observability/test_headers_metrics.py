"""Security headers on every answer (the CSP that /docs satisfies), Prometheus metrics by
route behind a bearer token, and Sentry events scrubbed of personal numbers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from tests.world import build_world, login
from unioncard.extensions import db
from unioncard.observability.errors_report import OPTIONS

TOKEN = "metrics-token-for-tests"


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline = [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))
            self._in_script = True

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(data)


@pytest.mark.parametrize("path", ["/livez", "/docs", "/openapi.json", "/api/admin/v1/nowhere"])
def test_security_headers_on_every_answer(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "style-src 'self' 'unsafe-inline'" in csp and "'unsafe-eval'" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in r.headers  # development: no HSTS


def test_hsts_in_production(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    assert client.get("/livez").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_docs_page_needs_no_inline_script(client):
    page = client.get("/docs")
    parser = _Scripts()
    parser.feed(page.get_data(as_text=True))
    assert parser.inline == []
    assert all(src and src.startswith("/static/") for src in parser.scripts), parser.scripts
    for src in parser.scripts:  # every script is served locally, from 'self'
        r = client.get(src)
        assert r.status_code == 200 and len(r.data) > 100, src
        r.close()
    assert "/openapi.json" in page.get_data(as_text=True)


def test_metrics_need_the_token(app, client, monkeypatch):
    assert client.get("/metrics").status_code == 404  # no token configured: off
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def _sample(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if not line.startswith(name + ("{" if labels else " ")):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_by_route_and_business_gauges(app, client, ctx, monkeypatch):
    build_world(members_per_union=2)
    db.session.commit()
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    route = "/api/admin/v1/members/<int:member_id>"
    # the worker's earlier tests may have counted other methods and statuses on this route:
    # the samples are the GET 200s (and GET timings) before and after, on one process
    counted = {"route": route, "method": "GET"}
    text = client.get("/metrics", headers=auth).get_data(as_text=True)
    before = _sample(text, "unioncard_http_requests_total", status="200", **counted)
    timed = _sample(text, "unioncard_http_request_duration_seconds_count", **counted)
    headers = login(client, "ga1_operator")
    members = client.get("/api/admin/v1/members", headers=headers).get_json()
    for member in members[:2]:
        assert (
            client.get(f"/api/admin/v1/members/{member['id']}", headers=headers).status_code == 200
        )
    client.post("/api/integrations/bank/v1/callbacks/card-results", json={})  # unsigned: refused

    text = client.get("/metrics", headers=auth).get_data(as_text=True)
    after = _sample(text, "unioncard_http_requests_total", status="200", **counted)
    assert after - before == 2
    assert not re.search(r'route="/api/admin/v1/members/\d+"', text)  # the rule, never the path
    assert _sample(text, "unioncard_http_request_duration_seconds_count", **counted) - timed == 2
    assert _sample(text, "unioncard_callback_refusals_total", party="bank", status="401") >= 1
    assert "unioncard_outbox_backlog 0.0" in text
    assert "unioncard_outbox_oldest_age_seconds 0.0" in text
    assert "unioncard_register_checks_in_flight 0.0" in text
    assert "# TYPE unioncard_import_jobs gauge" in text


class _Capture(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.headers.get("type") == "event":
                self.events.append(item.payload.json)


def test_sentry_events_are_scrubbed():
    transport = _Capture()
    client = sentry_sdk.Client(
        dsn="https://key@sentry.invalid/1", transport=transport, default_integrations=False,
        **OPTIONS,
    )  # fmt: skip
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        scope.set_user({"id": 7, "username": "张三", "mobile": "13812345678"})
        scope.set_context("request_args", {"url": "/m?id_no=110101199003071234"})
        try:
            raise ValueError("member 110101199003071234 card 6222020200112233")
        except ValueError as exc:
            scope.capture_exception(exc)
    client.flush()
    assert len(transport.events) == 1
    assert transport.events[0]["user"] == {"id": 7}
    event = str(transport.events[0])
    assert "ValueError" in event
    assert "110101199003071234" not in event and "6222020200112233" not in event
    assert "13812345678" not in event and "张三" not in event
    assert "id_no=***" in event
