"""``create_app`` may run more than once in a process (the benchmarks do, so does this
suite): each app keeps its own database, token store, OpenAPI document and tasks."""

from __future__ import annotations

import random
from pathlib import Path

from flask_migrate import upgrade

from tests.conftest import _config
from unioncard import create_app
from unioncard.accounts.models import Role
from unioncard.demo.seed import add_account, add_org
from unioncard.extensions import db
from unioncard.orgs.models import OrgLevel
from unioncard.tasks_runtime import celery, dispatch

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
PASSWORD = "Factory1234"

ran_in: list[str] = []


@celery.task(name="tests.app_factory.which_database")
def which_database() -> None:
    ran_in.append(str(db.engine.url))


def _app(tmp: Path, username: str):
    tmp.mkdir()
    config = _config(tmp, None) | {"REDIS_URL": "", "CELERY_BROKER_URL": ""}
    app = create_app(config)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        org = add_org("上海市总工会", OrgLevel.CITY, rng=random.Random(1))
        add_account(username, f"{username}管理员", org, Role.ADMIN, PASSWORD)
        db.session.commit()
    return app


def _login(app, username: str) -> dict:
    answer = app.test_client().post(
        "/api/admin/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_two_apps_in_one_process_each_serve_their_own_world(tmp_path):
    first = _app(tmp_path / "first", "alice")
    second = _app(tmp_path / "second", "bob")
    try:
        alice, bob = _login(first, "alice"), _login(second, "bob")
        one, two = first.test_client(), second.test_client()
        # the admin hooks (authentication, scope) run in both apps, each on its own data
        assert one.get("/api/admin/v1/auth/me", headers=alice).get_json()["username"] == "alice"
        assert two.get("/api/admin/v1/auth/me", headers=bob).get_json()["username"] == "bob"
        assert two.get("/api/admin/v1/auth/me", headers=alice).status_code == 401
        assert one.get("/api/admin/v1/auth/me", headers=bob).status_code == 401
        assert one.get("/api/admin/v1/auth/me").status_code == 401  # still deny by default
        refused = second.test_client().post(
            "/api/admin/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        assert refused.status_code == 401
        # each app its own OpenAPI document, complete, and the mini-program security scheme
        docs = [c.get("/openapi.json").get_json() for c in (one, two)]
        assert docs[0]["paths"] and docs[0]["paths"].keys() == docs[1]["paths"].keys()
        assert all("memberToken" in d["components"]["securitySchemes"] for d in docs)
        # a task runs in the app that dispatched it, whichever was built last
        ran_in.clear()
        for app in (first, second, first):
            with app.app_context():
                dispatch(which_database)
        paths = [url.rsplit("/", 2)[-2] for url in ran_in]
        assert paths == ["first", "second", "first"], ran_in
    finally:
        for app in (first, second):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
