"""gunicorn settings for production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be overridden on the command line (``-b``, ``-w``). The access log goes
through the app's masking filter (no ID, mobile or card number in a logged URL), as JSON in
production; several workers share their Prometheus samples through
``PROMETHEUS_MULTIPROC_DIR`` (made here if unset, emptied at start).
"""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 120
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# the request line with its query string: the masking filter hides personal values
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if not _metrics_dir:
    _metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="unioncard-prom-"
    )

_format = os.environ.get("UNIONCARD_LOG_FORMAT") or (
    "json" if os.environ.get("UNIONCARD_ENV") == "production" else "text"
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "unioncard.observability.logs.RequestIdFilter"},
        "redact": {"()": "unioncard.observability.redact.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "unioncard.observability.logs.JsonFormatter"},
        "text": {"()": "unioncard.observability.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": _format,
            "filters": ["request_id", "redact"],
            "stream": "ext://sys.stderr",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": _format,
            "filters": ["request_id", "redact"],
            "stream": "ext://sys.stdout",
        },
    },
    # the app puts its own masked handler on the root logger: gunicorn's default root
    # handler would print every app line twice
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server):
    for name in os.listdir(_metrics_dir):
        path = os.path.join(_metrics_dir, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    from unioncard.serving import settle_collector

    settle_collector()
