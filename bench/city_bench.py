"""Benchmark: a whole city on every admin list, at five levels, on PostgreSQL.

The city of ``flask demo city`` (``unioncard.demo.city``) is built in a database of its
own. Every admin list and statistic is then asked through the API by an admin at each of
five levels (市总, 区局, 二级工会, the biggest grassroots union, a 12-member union), and the
same page (rows and total) is asked with hand-written SQL on a plain psycopg connection
with the same settings (no server-side prepares, no JIT), in the same run.

Order: one round of every page at every level first, so that the 20 timed repetitions
of each page run after the other levels did (whatever the server or the driver caches
counts). Budget (issue 15): p95 ≤ 100 ms and ≤ 3× the hand-written SQL; a page over it
gets the EXPLAIN (ANALYZE, BUFFERS) of its slowest statement in the results.

    python -m bench.city_bench                     # 100,000 members (5,000 unions)
    python -m bench.city_bench --members 1000000   # the full city (about 2 minutes to build)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "unioncard_bench_city"
PASSWORD = "Bench1234"
REPEAT = 20
BUDGET_MS = 100.0
BUDGET_RATIO = 3.0
LEVELS = {
    "city": "市总",
    "district": "区局",
    "secondary": "二级工会",
    "biggest": "最大基层工会",
    "small": "12 人基层工会",
}
CAP = 10_000
# The subtree of org %(o)s, as the hand-written SQL reaches it: a range on the path.
SUBTREE = "SELECT id FROM org WHERE path >= %(p)s AND path < %(hi)s"


def _fresh_database() -> str:
    import psycopg

    from bench.cards_bench import PG_ADMIN

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _drop_database() -> None:
    import psycopg

    from bench.cards_bench import PG_ADMIN

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _capped(sql: str) -> str:
    return f"SELECT count(*) FROM ({sql} LIMIT {CAP + 1}) t"


def pages(year: int) -> list[dict]:
    """Each page: its name, the API address (``{o}``: the level's org id), the levels it
    applies to, and the hand-written SQL of its rows and its total."""
    members = f"SELECT m.* FROM member m WHERE m.org_id IN ({SUBTREE})"
    named = members + " AND m.name LIKE '%%张伟%%'"
    enterprise = (
        "SELECT m.*, c.status AS card_status FROM member m"
        " LEFT JOIN member_card c ON c.member_id = m.id"
        f" WHERE m.org_id IN ({SUBTREE}) AND m.status = '正常' AND m.source = '企业内'"
    )
    pending = (
        "SELECT m.*, c.* FROM member_card c JOIN member m ON m.id = c.member_id"
        f" WHERE c.org_id IN ({SUBTREE}) AND c.status = '待办中'"
    )
    orgs = "SELECT * FROM org WHERE path >= %(p)s AND path < %(hi)s"
    children = "SELECT * FROM org WHERE parent_id = %(o)s"
    audit = "SELECT * FROM audit_record WHERE org_path >= %(p)s AND org_path < %(hi)s"
    grassroots = ("biggest", "small")
    every = tuple(LEVELS)
    return [
        {"name": "会员列表", "url": "/api/admin/v1/members?page_size=10", "levels": every,
         "sql": [members + " ORDER BY m.id DESC LIMIT 10", _capped(members)]},
        {"name": "会员列表第 100 页", "url": "/api/admin/v1/members?page_size=10&page=100",
         "levels": every,
         "sql": [members + " ORDER BY m.id DESC LIMIT 10 OFFSET 990", _capped(members)]},
        {"name": "按姓名查会员（张伟）", "url": "/api/admin/v1/members?page_size=10&name=张伟",
         "levels": every, "sql": [named + " ORDER BY m.id DESC LIMIT 10", _capped(named)]},
        {"name": "工会列表", "url": "/api/admin/v1/orgs?page_size=10", "levels": every,
         "sql": [orgs + " ORDER BY path LIMIT 10", _capped(orgs),
                 "SELECT * FROM related_enterprise WHERE org_id = %(o)s"]},
        {"name": "下级工会", "url": "/api/admin/v1/orgs?page_size=10&parent_id={o}",
         "levels": every, "sql": [children + " ORDER BY path LIMIT 10", _capped(children)]},
        {"name": "操作审计", "url": "/api/admin/v1/audit?page_size=10", "levels": every,
         "sql": [audit + " ORDER BY id DESC LIMIT 10", _capped(audit)]},
        {"name": "卡片信息", "url": "/api/admin/v1/cards?page_size=10", "levels": every,
         "sql": [enterprise + " ORDER BY m.member_no LIMIT 10", _capped(enterprise)]},
        {"name": "待办会员", "url": "/api/admin/v1/cards/pending?page_size=10", "levels": every,
         "sql": [pending + " ORDER BY c.pending_since, m.id LIMIT 10", _capped(pending)]},
        {"name": "参保统计", "levels": grassroots,
         "url": f"/api/admin/v1/insurance/unions/{{o}}/collective/stats?year={year}",
         "sql": ["SELECT count(*), count(c.id) FROM member m LEFT JOIN member_card c"
                 " ON c.member_id = m.id WHERE m.org_id = %(o)s"]},
    ]  # fmt: skip


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, -(-len(ordered) * 95 // 100) - 1)], 2)


class Statements:
    """The statements one request runs, with their time, for the EXPLAIN of a slow page."""

    def __init__(self):
        self.seen: list[tuple[float, str, object]] = []
        self._started = 0.0

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self._started = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((time.perf_counter() - self._started, statement, parameters))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="不删除基准数据库")
    args = parser.parse_args(argv)

    import psycopg
    from flask_migrate import upgrade

    from unioncard import create_app
    from unioncard.demo.city import build_city
    from unioncard.extensions import db
    from unioncard.orgs.models import Org

    url = _fresh_database()
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TASK_MODE": "eager"})
    year = date.today().year + 1
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        t0 = time.perf_counter()
        levels = build_city(args.members, today=date.today(), password=PASSWORD)
        db.session.commit()
        build_s = time.perf_counter() - t0
        org_of = levels.accounts()
        paths = {k: db.session.get(Org, v).path for k, v in org_of.items()}
        db.session.remove()

    client = app.test_client()
    headers = {}
    for level in LEVELS:
        r = client.post(
            "/api/admin/v1/auth/login", json={"username": f"city_{level}", "password": PASSWORD}
        )
        assert r.status_code == 200, r.get_json()
        headers[level] = {"Authorization": f"Bearer {r.get_json()['token']}"}

    hand = psycopg.connect(
        url.replace("postgresql+psycopg", "postgresql"),
        autocommit=True,
        prepare_threshold=None,
        options="-c jit=off",
    )

    def params(level):
        return {"o": org_of[level], "p": paths[level], "hi": paths[level][:-1] + "0"}

    def api(page, level) -> float:
        t = time.perf_counter()
        r = client.get(page["url"].format(o=org_of[level]), headers=headers[level])
        elapsed = (time.perf_counter() - t) * 1000
        assert r.status_code == 200, (page["name"], level, r.status_code, r.get_json())
        return elapsed

    def sql(page, level) -> float:
        t = time.perf_counter()
        for statement in page["sql"]:
            hand.execute(statement, params(level)).fetchall()
        return (time.perf_counter() - t) * 1000

    plan = pages(year)
    for page in plan:  # one round at every level first: caches as a busy day leaves them
        for level in page["levels"]:
            api(page, level)
            sql(page, level)

    rows = []
    for page in plan:
        for level in page["levels"]:
            ours = [api(page, level) for _ in range(REPEAT)]
            theirs = [sql(page, level) for _ in range(REPEAT)]
            p95, hand_p95 = _p95(ours), _p95(theirs)
            row = {
                "page": page["name"],
                "level": level,
                "p50_ms": round(statistics.median(ours), 2),
                "p95_ms": p95,
                "hand_p95_ms": hand_p95,
                "ratio": round(p95 / max(hand_p95, 0.01), 1),
            }
            row["ok"] = p95 <= BUDGET_MS and (p95 <= BUDGET_RATIO * hand_p95 or p95 <= 5.0)
            if not row["ok"]:
                row["explain"] = _explain(app, client, page, level, org_of, headers)
            rows.append(row)
            print(f"{page['name']:>14} {LEVELS[level]:>8}: p95 {p95:8.2f} ms, hand"
                  f" {hand_p95:7.2f} ms ({row['ratio']}×){'' if row['ok'] else '  超出预算'}")  # fmt: skip
    hand.close()
    with app.app_context():
        db.engine.dispose()
    if not args.keep:
        _drop_database()
    return {
        "members": args.members,
        "build_s": round(build_s, 1),
        "repeat": REPEAT,
        "pages": rows,
        "over_budget": sum(not r["ok"] for r in rows),
        "load_average": round(os.getloadavg()[0], 1),
    }


def _explain(app, client, page, level, org_of, headers) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statement the page runs."""
    from sqlalchemy import event, text

    from unioncard.extensions import db

    with app.app_context():
        engine = db.engine
    seen = Statements()
    event.listen(engine, "before_cursor_execute", seen.before)
    event.listen(engine, "after_cursor_execute", seen.after)
    try:
        client.get(page["url"].format(o=org_of[level]), headers=headers[level])
    finally:
        event.remove(engine, "before_cursor_execute", seen.before)
        event.remove(engine, "after_cursor_execute", seen.after)
    _, statement, parameters = max(seen.seen, key=lambda s: s[0])
    with engine.connect() as conn:
        lines = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or {}
        ).all()
        conn.execute(text("ROLLBACK"))
    return statement + "\n" + "\n".join(line[0] for line in lines)


if __name__ == "__main__":
    main()
