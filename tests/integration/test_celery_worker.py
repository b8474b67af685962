"""The import's validation runs in a real Celery worker, through the Redis broker.

Only with PostgreSQL and Redis (the CI's second pass): the worker runs in a thread and
shares the database with the test, which an SQLite file in WAL mode would also allow but
the embedded mode never uses a broker.
"""

from __future__ import annotations

import io
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


def test_upload_is_validated_by_a_worker(client, ctx, monkeypatch):
    from tests.api.test_member_import import fill, people

    build_world(members_per_union=1)
    headers = login(client, "ga1_operator")
    template = client.get("/api/admin/v1/imports/template", headers=headers)
    data = fill(template.data, people(4, start=200))
    template.close()
    monkeypatch.setitem(ctx.config, "TASK_MODE", "celery")
    celery_app = ctx.extensions["celery"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        r = client.post(
            "/api/admin/v1/imports",
            headers=headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), "m.xlsx")},
        )
        assert r.status_code == 202
        job_id = r.get_json()["id"]
        assert r.get_json()["status"] == "排队中"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            db.session.expire_all()
            status = db.session.get(ImportJob, job_id).status.value
            if status in ("待确认导入", "校验未通过", "文件无法读取"):
                break
            time.sleep(0.2)
    assert status == "待确认导入"
    job = client.get(f"/api/admin/v1/imports/{job_id}", headers=headers).get_json()
    assert (job["total"], job["valid"], job["processed"]) == (4, 4, 4)
