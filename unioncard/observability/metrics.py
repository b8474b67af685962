"""Prometheus metrics at ``GET /metrics`` (bearer ``METRICS_TOKEN``; without one it is 404).

Requests are counted and timed by route (the URL rule, never the raw path) and status.
Business gauges are read when scraped: the bank outbox backlog and its oldest age, import
jobs by status, register checks in flight, the Celery queue length; callback refusals are a
counter by party and status. Under gunicorn with several workers set
``PROMETHEUS_MULTIPROC_DIR`` (``gunicorn.conf.py`` does): every worker writes its samples
there and the scrape adds them up.
"""

from __future__ import annotations

import hmac
import logging
import os

from flask import Blueprint, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from ..extensions import db

log = logging.getLogger(__name__)
blp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "unioncard_http_requests_total",
    "HTTP requests by route and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "unioncard_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CALLBACK_REFUSALS = Counter(
    "unioncard_callback_refusals_total",
    "Inbound callbacks refused (bank, wechatpay) by status",
    ["party", "status"],
)


# (method, route, status) -> its counter and histogram: the labelled children prometheus
# hands out (the same objects every call; none is ever removed), without its lookup per call
_CHILDREN: dict = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    children = _CHILDREN.get(key)
    if children is None:
        children = _CHILDREN[key] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
    children[0].inc()
    children[1].observe(seconds)


def callback_refused(party: str, status: int) -> None:
    CALLBACK_REFUSALS.labels(party, str(status)).inc()


class BusinessCollector:
    """Gauges read from the database and Redis at scrape time."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from ..cards.models import MemberCard, Verification
        from ..imports.models import ImportJob
        from .health import outbox_backlog

        backlog = GaugeMetricFamily("unioncard_outbox_backlog", "Bank messages waiting")
        oldest = GaugeMetricFamily(
            "unioncard_outbox_oldest_age_seconds", "Age of the oldest bank message waiting"
        )
        imports = GaugeMetricFamily(
            "unioncard_import_jobs", "Member import jobs by status", labels=["status"]
        )
        checks = GaugeMetricFamily(
            "unioncard_register_checks_in_flight", "Members whose register check is running"
        )
        queue = GaugeMetricFamily("unioncard_celery_queue_length", "Tasks waiting in the broker")
        try:
            count, age = outbox_backlog()
            backlog.add_metric([], count)
            oldest.add_metric([], age)
            for status, n in db.session.execute(
                select(ImportJob.status, func.count(ImportJob.id)).group_by(ImportJob.status)
            ):
                imports.add_metric([status.value if hasattr(status, "value") else str(status)], n)
            checks.add_metric(
                [],
                db.session.scalar(
                    select(func.count(MemberCard.id)).where(
                        MemberCard.verification == Verification.CHECKING
                    )
                ),
            )
        except Exception as exc:
            log.error("metrics: database gauges unavailable: %s", exc)
        finally:
            db.session.rollback()
        if self.app.config["TASK_MODE"] == "celery" and self.app.config["REDIS_URL"]:
            try:
                client = self.app.extensions["unioncard.kv"].client
                queue.add_metric([], client.llen("celery"))
            except Exception as exc:
                log.error("metrics: queue length unavailable: %s", exc)
        yield from (backlog, oldest, imports, checks, queue)


def _registry(app) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, CALLBACK_REFUSALS):
            registry.register(collector)
    registry.register(BusinessCollector(app))
    return registry


@blp.get("/metrics")
def metrics():
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        from ..web import error_response

        return error_response(404)
    return Response(generate_latest(_registry(current_app)), mimetype=CONTENT_TYPE_LATEST)
