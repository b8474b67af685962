"""Optional error reporting to Sentry (``SENTRY_DSN``), scrubbed of personal data.

Nothing is sent without a DSN. ``before_send`` masks every string of the event with the same
redaction as the logs, drops request bodies, cookies and the Authorization header, and keeps
only ids of the user (never a name, number or address).
"""

from __future__ import annotations

import logging

from .redact import scrub

log = logging.getLogger(__name__)
_DROPPED_HEADERS = {"authorization", "cookie", "x-idempotency-key"}


def before_send(event: dict, hint=None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS
            }
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return scrub(event)


# frames keep no local variables (a member's name, a decrypted number) and no source lines
OPTIONS = {
    "before_send": before_send,
    "include_local_variables": False,
    "include_source_context": False,
    "max_request_body_size": "never",
}


def init_sentry(app) -> bool:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError:
        log.error("SENTRY_DSN is set but sentry-sdk is not installed: pip install '.[sentry]'")
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["ENV"],
        integrations=[FlaskIntegration(), CeleryIntegration()],
        **OPTIONS,
        **app.config.get("SENTRY_OPTIONS", {}),
    )
    return True
