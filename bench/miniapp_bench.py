"""Benchmark: the mini-program's two busiest reads under gunicorn, beside a bare Flask app.

* the service (``wsgi:app``) on PostgreSQL + Redis (member tokens in Redis), gunicorn with
  2 workers; ``N`` members (default 200), each logged in (a token), bound, a member of a
  union, with a card application, its batch and a card log of 6 entries;
* the baseline: ``bench.bare_app`` (answers ``{"ok": true}``) under the same gunicorn
  settings, in the same run;
* load: ``--concurrency`` (50) client threads on keep-alive connections, each request with
  a member's token (round robin), for ``--requests`` per endpoint after a warm-up.

Reported per endpoint: requests/s, p50 and p99 latency (ms), the CPU milliseconds a request
of the gunicorn workers and of PostgreSQL, and the service's rate as a share of the bare one. Target (issue 15): >= 60 % of the bare rate.

    python -m bench.miniapp_bench
    python -m bench.miniapp_bench --members 100 --requests 3000 --worker-class gthread
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.servers import PG_ADMIN, CpuMeter, Gunicorn

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get(
    "BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"
)  # no test worker uses db 3
DB_NAME = "unioncard_bench_miniapp"
ENDPOINTS = ("/api/miniapp/v1/me", "/api/miniapp/v1/card/application")


def _fresh_database() -> str:
    import psycopg

    with psycopg.connect(
        PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def seed(app, members: int) -> list[str]:
    """Members with a bound WeChat user, a card application in a batch and a card log."""
    import random
    from datetime import date

    from flask_migrate import upgrade

    from unioncard.cards.models import (
        BatchStatus,
        CardBatch,
        CardLogEntry,
        CardStatus,
        Channel,
        MemberCard,
        Verification,
    )
    from unioncard.demo.people import make_people
    from unioncard.demo.seed import add_members, add_org
    from unioncard.extensions import db
    from unioncard.members.models import Member
    from unioncard.orgs.models import BankBranch, OrgLevel
    from unioncard.selfservice import tokens
    from unioncard.selfservice.models import CardApplication, CardApplicationStatus, MemberUser

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        rng = random.Random(3)
        city = add_org("上海市总工会", OrgLevel.CITY, rng=rng)
        district = add_org(
            "上海市杨浦区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="007"
        )
        union = add_org("上海市杨浦区新就业形态劳动者工会联合会", OrgLevel.GRASSROOTS, district,
                        rng=rng, accepts_individuals=True)  # fmt: skip
        db.session.add(BankBranch(org_id=district.id, code="31001", name="中国银行杨浦支行",
                                  address="上海市杨浦区"))  # fmt: skip
        add_members(union, make_people(members, seed=5, today=date.today()))
        db.session.flush()
        batch = CardBatch(batch_no="CB-BENCH", org_id=union.id, channel=Channel.NORMAL,
                          status=BatchStatus.SENT, branch_code="31001", branch_name="中国银行杨浦支行",
                          branch_address="上海市杨浦区", total=members)  # fmt: skip
        db.session.add(batch)
        db.session.flush()
        out = []
        for i, member in enumerate(db.session.query(Member).order_by(Member.id)):
            user = MemberUser(openid=f"bench-{i}", member_id=member.id, name=member.name,
                              id_type=member.id_type, id_number=member.id_number,
                              id_number_bidx=member.id_number_bidx, mobile=member.mobile,
                              mobile_bidx=member.mobile_bidx, token_version=0)  # fmt: skip
            db.session.add(user)
            db.session.add(MemberCard(member_id=member.id, org_id=union.id,
                                      status=CardStatus.IN_PROGRESS, channel=Channel.NORMAL,
                                      verification=Verification.PASSED, batch_id=batch.id,
                                      individual=True))  # fmt: skip
            for action in (
                "加入待办",
                "提交系统校验",
                "系统校验",
                "提交办卡",
                "已制卡",
                "已送达单位",
            ):
                db.session.add(CardLogEntry(member_id=member.id, actor="系统", action=action))
            db.session.flush()
            db.session.add(CardApplication(user_id=user.id, member_id=member.id, org_id=union.id,
                                           status=CardApplicationStatus.SUBMITTED,
                                           branch_code="31001", branch_name="中国银行杨浦支行",
                                           mailing_address="上海市杨浦区国定路1号",
                                           id_expiry=date(2036, 1, 1), batch_id=batch.id))  # fmt: skip
            db.session.flush()
            out.append(tokens.issue(user.id, 0)[0])
        db.session.commit()
        return out


def load(url: str, tokens: list[str], concurrency: int, total: int) -> dict:
    import requests

    latencies: list[float] = []
    errors = [0]
    first_error: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker(n: int):
        session = requests.Session()
        mine = []
        bad = 0
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            token = tokens[(i + n) % len(tokens)]
            started = time.perf_counter()
            r = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            mine.append(time.perf_counter() - started)
            if r.status_code != 200:
                bad += 1
                first_error.append(f"{r.status_code} {r.text[:200]}")
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "first_error": first_error[0] if first_error else None,
    }


def _add_cpu(result: dict, cpu: CpuMeter) -> None:
    """CPU milliseconds a request of the gunicorn workers and of PostgreSQL: unlike the
    rate, they hardly move when other work shares the cores."""
    n = result["requests"] or 1
    result["worker_cpu_ms"] = round(cpu.app_s * 1000 / n, 3)
    result["db_cpu_ms"] = round(cpu.db_s * 1000 / n, 3)


def run(members: int, requests_per_endpoint: int, concurrency: int, worker_class: str) -> dict:
    from unioncard import create_app

    url = _fresh_database()
    app = create_app({"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "TASK_MODE": "eager"})
    app.extensions["unioncard.kv"].client.flushdb()
    tokens = seed(app, members)
    logdir = Path(tempfile.mkdtemp(prefix="miniapp_bench_"))
    env = {"UNIONCARD_DATABASE_URL": url, "REDIS_URL": REDIS_URL, "UNIONCARD_TASK_MODE": "eager",
           "GUNICORN_CMD_ARGS": f"--worker-class {worker_class} --threads 4 --keep-alive 30"}  # fmt: skip
    results: dict = {"members": members, "concurrency": concurrency, "workers": 2,
                     "worker_class": worker_class, "endpoints": {}}  # fmt: skip
    servers = []
    try:
        service = Gunicorn("wsgi:app", env, logdir, "service")
        servers.append(service)
        bare = Gunicorn("bench.bare_app:app", env, logdir, "bare")
        servers.append(bare)
        for path in ENDPOINTS:
            load(service.url + path, tokens, concurrency, min(500, requests_per_endpoint))  # warm
            load(bare.url + path, tokens, concurrency, min(500, requests_per_endpoint))
            with CpuMeter(service, DB_NAME) as cpu:
                ours = load(service.url + path, tokens, concurrency, requests_per_endpoint)
            _add_cpu(ours, cpu)
            with CpuMeter(bare, DB_NAME) as cpu:
                base = load(bare.url + path, tokens, concurrency, requests_per_endpoint)
            _add_cpu(base, cpu)
            results["endpoints"][path] = {
                "service": ours,
                "bare": base,
                "share_of_bare": round(ours["rps"] / base["rps"], 3),
                # issue 15: at least 60% of the bare app's rate (issue 5 asked 40% and p99 <
                # 50 ms; the p99 is out of reach for the bare app itself on this machine)
                "target_met": ours["rps"] >= 0.6 * base["rps"],
            }
    finally:
        for server in servers:
            server.stop()
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.miniapp_bench")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    args = parser.parse_args(argv)
    results = run(args.members, args.requests, args.concurrency, args.worker_class)
    json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return results


if __name__ == "__main__":
    main()
