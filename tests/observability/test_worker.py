"""With a real Celery worker on Redis: /readyz tracks its heartbeat, and the request id of
the request that enqueued a task is on the task's log line (carried in the task headers)."""

from __future__ import annotations

import io
import json
import time

import pytest
from celery.contrib.testing.worker import start_worker

from tests.conftest import PG_URL, REDIS_URL
from tests.world import build_world, login
from unioncard.extensions import db
from unioncard.imports.models import ImportJob

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs UNIONCARD_TEST_DATABASE_URL and _REDIS_URL"
)


def _ready(client):
    r = client.get("/readyz")
    return r.status_code, r.get_json()["checks"]


def test_readyz_tracks_the_worker_and_tasks_carry_the_request_id(
    client, ctx, monkeypatch, captured
):
    from tests.api.test_member_import import fill, people

    build_world(members_per_union=1)
    db.session.commit()
    headers = login(client, "ga1_operator")
    template = client.get("/api/admin/v1/imports/template", headers=headers)
    data = fill(template.data, people(3, start=300))
    template.close()
    monkeypatch.setitem(ctx.config, "TASK_MODE", "celery")

    status, checks = _ready(client)
    assert status == 503 and checks["worker"] == "无后台任务进程", checks
    assert checks["database"] == checks["redis"] == checks["outbox"] == "正常"

    with start_worker(
        ctx.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30
    ):
        deadline = time.monotonic() + 10
        while _ready(client)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _ready(client) == (
            200,
            dict.fromkeys(("database", "redis", "worker", "outbox"), "正常"),
        )
        r = client.post(
            "/api/admin/v1/imports",
            headers={**headers, "X-Request-ID": "upload-77"},
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), "m.xlsx")},
        )
        assert r.status_code == 202 and r.headers["X-Request-ID"] == "upload-77"
        job_id = r.get_json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(ImportJob, job_id).status.value == "待确认导入":
                break
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        task_lines = []
        while not task_lines and time.monotonic() < deadline:
            lines = [json.loads(x) for x in captured.getvalue().splitlines() if x.strip()]
            task_lines = [x for x in lines if x["logger"] == "unioncard.task"]
            time.sleep(0.1)
    assert task_lines, "no task log line"
    assert {x["request_id"] for x in task_lines} == {"upload-77"}
    assert task_lines[0]["status"] == "SUCCESS" and task_lines[0]["task"].startswith("imports.")

    status, checks = _ready(client)  # the worker stopped: it removed its heartbeat
    assert status == 503 and checks["worker"] == "无后台任务进程"
