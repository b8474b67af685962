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


def test_card_checks_and_delivery_run_in_a_worker(client, ctx, monkeypatch):
    """提交系统校验 and the bank delivery through Redis and a worker; results come back over
    real HTTP into the app served on loopback."""
    from tests.cards.helpers import CARDS, cast_world, served_with_sandboxes, wait_until
    from unioncard.cards.models import CardStatus, MemberCard

    world, ids = cast_world()
    monkeypatch.setitem(ctx.config, "TASK_MODE", "celery")
    clerk = login(client, "ga1_operator")

    def status(key):
        return db.session.query(MemberCard).filter_by(member_id=ids[key]).one()

    with (
        served_with_sandboxes(ctx, monkeypatch) as boxes,
        start_worker(
            ctx.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30
        ),
    ):
        client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["ok"]]})
        assert client.post(f"{CARDS}/pending/checks", headers=clerk, json={}).status_code == 202
        wait_until(lambda: status("ok").verification.value == "已通过", 30, "checks")
        r = client.post(
            f"{CARDS}/batches",
            headers=clerk,
            json={"channel": "普通", "branch_code": f"B{world.org('dA').id:04d}"},
        )
        assert r.status_code == 201
        wait_until(lambda: status("ok").status == CardStatus.ACTIVATED, 30, "bank results")
    assert list(boxes.bank.batches) == [r.get_json()["batch_no"]]
