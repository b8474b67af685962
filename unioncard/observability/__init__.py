"""Operations: masked structured logs with request ids, Prometheus metrics, health checks,
security headers and optional error reports. ``init_app`` wires them into ``create_app``."""

from __future__ import annotations

from flask import Flask

from . import errors_report, health, http, logs, metrics, tasks


def init_app(app: Flask) -> None:
    """Call before ``register_request_transaction`` (the request line sees the final answer),
    then ``init_principal`` after it."""
    http.init_app(app)
    app.register_blueprint(health.blp)
    app.register_blueprint(metrics.blp)
    tasks.init_celery(app)
    errors_report.init_sentry(app)


configure_logging = logs.configure
init_principal = http.init_principal
