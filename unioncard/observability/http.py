"""Per request: the request id (``X-Request-ID`` taken or made, echoed), one log line, the
request metrics, and the security headers on every answer."""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path

from flask import Flask, g, request, send_from_directory
from sqlalchemy import inspect

from . import metrics
from .logs import request_id_var

log = logging.getLogger("unioncard.request")
ASSETS = Path(__file__).resolve().parent.parent / "assets" / "js"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# /docs (Swagger UI, local assets and its init script) and the Vue apps at /console/ and
# /hall/ load scripts from 'self' only; Element Plus and Swagger UI set inline styles.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _identity(obj) -> tuple[int | None, dict]:
    """The row's id and loaded values without touching the database (after the commit the
    object is expired, or its session already gone)."""
    state = inspect(obj)
    return (state.identity[0] if state.identity else None), state.dict


def _principal() -> tuple[str | None, int | None]:
    account = g.get("account")
    if account is not None:
        account_id, values = _identity(account)
        return f"staff:{account_id}", values.get("org_id")
    member = g.get("member_user")
    if member is not None:
        return f"member:{_identity(member)[0]}", None
    return None, None


def init_app(app: Flask) -> None:
    @app.get("/static/js/<path:filename>")
    def local_scripts(filename):
        return send_from_directory(ASSETS, filename, max_age=3600)

    @app.before_request
    def _start():
        req, ctx = request._get_current_object(), g._get_current_object()
        given = req.headers.get("X-Request-ID", "")
        ctx.request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        ctx.request_token = request_id_var.set(ctx.request_id)
        ctx.request_started = time.perf_counter()

    @app.after_request
    def _finish(
        response,
    ):  # registered before the commit hook: runs after it, sees the final answer
        req, ctx = request._get_current_object(), g._get_current_object()
        response.headers["X-Request-ID"] = ctx.get("request_id") or uuid.uuid4().hex
        _security_headers(app, response)
        started = ctx.get("request_started")
        if started is None:
            return response
        duration = time.perf_counter() - started
        method, status = req.method, response.status_code
        route = req.url_rule.rule if req.url_rule is not None else "<unmatched>"
        metrics.observe_request(method, route, status, duration)
        if status >= 400 and req.path.startswith("/api/integrations/"):
            party = req.path.split("/")[3]
            metrics.callback_refused(party, status)
        user, org = ctx.get("principal") or (None, None)
        url = req.full_path.rstrip("?")
        log.info(
            "%s %s %s %.0fms",
            method,
            url,
            status,
            duration * 1000,
            extra={
                "method": method,
                "url": url,
                "route": route,
                "status": status,
                "duration_ms": round(duration * 1000, 1),
                "user": user,
                "org": org,
            },
        )
        return response

    @app.teardown_request
    def _forget(exc):
        token = g.pop("request_token", None)
        if token is not None:
            try:
                request_id_var.reset(token)
            except ValueError:  # set in another context (a streamed answer)
                request_id_var.set(None)


def init_principal(app: Flask) -> None:
    """Registered after the commit hook, so it runs before it: who made the request, read
    while the account is still loaded (the commit expires it)."""

    @app.after_request
    def _remember_principal(response):
        try:
            g.principal = _principal()
        except Exception:  # a log field must never fail the answer
            g.principal = (None, None)
        return response


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)


def _security_headers(app: Flask, response) -> None:
    """Each one unless the answer set its own (one pass over the headers, not one a name)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    wanted = SECURITY_HEADERS
    if app.config["ENV"] == "production":
        hsts = f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains"
        wanted = (*wanted, ("Strict-Transport-Security", hsts))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
