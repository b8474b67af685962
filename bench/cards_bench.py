"""Benchmark: card issuance, a 10,000-member batch through the bank and its callbacks.

Everything runs on loopback against PostgreSQL:

* the service (``wsgi:app``) is served by gunicorn, 2 workers of the class and threads set
  in ``gunicorn.conf.py`` (gthread, 4 threads; gunicorn reads it from the working
  directory), with Redis for the callback nonces, as a deployment would serve it;
* the bank sandbox (``integrations.bank.sandbox``) runs in a thread of this process, with
  ``result_delay`` 0, and calls the gunicorn server back with results in chunks of 500;
* the baseline is a do-nothing Flask app served by gunicorn with the same settings: it
  reads the body and answers 200 ``{}``.

A. submit to every result applied: ``batches.submit`` + commit in this process
   (``TASK_MODE="eager"``: the commit runs the outbox delivery here, which POSTs the batch
   to the sandbox), then poll the database until all 10,000 ``MemberCard`` rows carry
   their result. Beside it: the same 20 callbacks of 500 POSTed one after the other to the
   do-nothing endpoint.
B. callback ingest: pre-built, signed ``card-results`` bodies (500 results each) for a
   batch already 已发送, POSTed by 1 (sequential), 2 and 4 concurrent senders (each level
   on a batch of its own), versus the same bodies to the do-nothing endpoint. Concurrent
   senders answer the same batch, as the bank would: on PostgreSQL their writes run side by
   side (each link answered once under its own row lock) and wait for each other only to add
   to the batch's counts. Loops are bounded: each body is sent once.

    python -m bench.cards_bench                 # 10,000 members, senders 1, 2 and 4
    python -m bench.cards_bench --members 2000 --senders 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from bench.servers import PG_ADMIN, WORKERS, CpuMeter, Gunicorn, free_port

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
DB_NAME = "unioncard_bench_cards"
BANK_ID = "BOC-SH"
CHUNK = 500
UNION_NAME = "深圳市示例科技有限公司工会委员会"
BRANCH = ("44301", "中国银行深圳福田支行")


def make_baseline_app():
    """The do-nothing endpoint: read the body, answer 200 ``{}`` (gunicorn factory)."""
    from flask import Flask, request

    app = Flask("bench_baseline")

    @app.post("/api/integrations/bank/v1/callbacks/card-results")
    def card_results():
        request.get_data()
        return {}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


# --- plumbing ---------------------------------------------------------------------------


def _fresh_database() -> str:
    import psycopg

    with psycopg.connect(
        PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _send_all(url: str, bodies: list[tuple[bytes, dict]], senders: int) -> tuple[float, list]:
    """POST every body (sender threads take the next one in turn); seconds and answers."""
    import requests

    answers: list = [None] * len(bodies)
    lock = threading.Lock()
    position = iter(range(len(bodies)))
    errors: list[BaseException] = []

    def sender():
        with requests.Session() as session:
            while True:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                body, headers = bodies[i]
                try:
                    sent = time.perf_counter()
                    r = session.post(url, data=body, headers=headers, timeout=(3.05, 120))
                    answers[i] = (
                        r.status_code,
                        r.json() if r.content else None,
                        time.perf_counter() - sent,
                    )
                except BaseException as exc:
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=sender, name=f"sender-{n}") for n in range(senders)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed, answers


# --- seeding ----------------------------------------------------------------------------


def _card_rows(org_id: int, status, *, batch_id=None) -> list[dict]:
    from sqlalchemy import select

    from unioncard.cards.models import Channel, Verification
    from unioncard.extensions import db
    from unioncard.members.models import Member
    from unioncard.models_base import utcnow

    now = utcnow()
    ids = db.session.scalars(select(Member.id).where(Member.org_id == org_id).order_by(Member.id))
    return [{
        "member_id": member_id, "org_id": org_id, "status": status,
        "channel": Channel.NORMAL, "channel_reason": None,
        "verification": Verification.PASSED, "verification_reasons": [], "verified_at": now,
        "info_complete": False, "pending_since": now, "applied_at": now,
        "batch_id": batch_id, "individual": False, "created_at": now, "updated_at": now,
    } for member_id in ids]  # fmt: skip


def _seed_pending_union(org, people) -> None:
    """``people`` as active members of ``org``, their cards 待办中, 普通, 已通过."""
    from sqlalchemy import insert

    from unioncard.cards.models import CardStatus, MemberCard
    from unioncard.demo.seed import add_members
    from unioncard.extensions import db

    add_members(org, people)
    db.session.execute(insert(MemberCard), _card_rows(org.id, CardStatus.PENDING))


def _seed_sent_batch(org, people, today: date):
    """``people`` in a batch already 已发送 to the bank; returns (batch_no, bank results)."""
    from sqlalchemy import insert, select

    from integrations.bank.sandbox import card_result
    from unioncard.cards.models import (
        BatchStatus,
        CardBatch,
        CardBatchMember,
        CardStatus,
        Channel,
        MemberCard,
    )
    from unioncard.demo.seed import add_members
    from unioncard.extensions import db
    from unioncard.members.models import Member
    from unioncard.models_base import utcnow
    from unioncard.security.crypto import keyring

    add_members(org, people)
    now = utcnow()
    batch = CardBatch(batch_no="pending", org_id=org.id, channel=Channel.NORMAL,
                      status=BatchStatus.SENT, branch_code=BRANCH[0], branch_name=BRANCH[1],
                      branch_address="深圳市福田区", total=len(people), submitted_at=now,
                      sent_at=now)  # fmt: skip
    db.session.add(batch)
    db.session.flush()
    batch.batch_no = f"CB{now:%Y%m%d}{batch.id:06d}"
    db.session.execute(
        insert(MemberCard), _card_rows(org.id, CardStatus.IN_PROGRESS, batch_id=batch.id)
    )
    ring = keyring()
    by_bidx = {
        bidx: (mid, no)
        for mid, no, bidx in db.session.execute(
            select(Member.id, Member.member_no, Member.id_number_bidx).where(
                Member.org_id == org.id
            )
        )
    }
    members = [by_bidx[ring.blind_index("id_number", p.id_number)] for p in people]
    db.session.execute(insert(CardBatchMember), [
        {"batch_id": batch.id, "member_id": mid, "open_member_id": mid, "member_no": no}
        for mid, no in members
    ])  # fmt: skip
    # the bank's answers, by the sandbox's own rules
    results = [
        card_result(batch.batch_no, Channel.NORMAL.value, {
            "member_no": no, "name": p.name, "id_number": p.id_number,
            "id_expiry": p.id_expiry.isoformat() if p.id_expiry else None,
        }, today)
        for (_, no), p in zip(members, people, strict=True)
    ]  # fmt: skip
    return batch.batch_no, results


def _bodies(batch_no: str, results: list[dict], secret: str) -> list[tuple[bytes, dict]]:
    """Signed ``card-results`` callbacks of CHUNK results, as the sandbox would send them."""
    from integrations.bank.sandbox import RESULTS_PATH, now_iso
    from integrations.signing import signed_headers

    out = []
    feedback_at = now_iso()
    for start in range(0, len(results), CHUNK):
        payload = {"batch_no": batch_no, "feedback_at": feedback_at,
                   "results": results[start : start + CHUNK]}  # fmt: skip
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        out.append((body, signed_headers(BANK_ID, secret, "POST", RESULTS_PATH, body)))
    return out


# --- the run ----------------------------------------------------------------------------


def run(members: int, senders: list[int]) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from integrations.bank.sandbox import RESULTS_PATH, create_bank_sandbox
    from integrations.sandboxes import ServerThread
    from unioncard import create_app
    from unioncard.accounts.models import Role
    from unioncard.accounts.scope import Scope
    from unioncard.cards import batches
    from unioncard.cards.models import CardBatch, CardStatus, MemberCard
    from unioncard.demo.people import make_people
    from unioncard.demo.seed import add_account, add_org
    from unioncard.extensions import db
    from unioncard.orgs.models import BankBranch, OrgLevel

    today = date.today()
    url = _fresh_database()
    logdir = Path(tempfile.mkdtemp(prefix="cards_bench_"))
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    overrides = {"DATABASE_URL": url, "REDIS_URL": "", "TASK_MODE": "eager"}
    app = create_app(overrides)
    cfg = app.config
    secret = cfg["BANK_CALLBACK_SECRETS"][BANK_ID]
    bank_app = create_bank_sandbox(
        client_id=cfg["BANK_CLIENT_ID"], client_secret=cfg["BANK_CLIENT_SECRET"],
        bank_id=BANK_ID, bank_secret=secret, callback_base_url=app_url, result_delay=0,
        event_delay=3600, today=today,  # no card events during the measurement
    )  # fmt: skip
    bank_server = ServerThread(bank_app)
    bank = bank_app.extensions["bank_sandbox"]
    cfg["BANK_API_URL"] = bank_server.url
    servers: list[Gunicorn] = []
    import random

    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            rng = random.Random(1)
            city = add_org("深圳市总工会", OrgLevel.CITY, rng=rng)
            district = add_org(
                "深圳市福田区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="440"
            )
            db.session.add(BankBranch(org_id=district.id, code=BRANCH[0], name=BRANCH[1],
                                      address="深圳市福田区"))  # fmt: skip
            people = make_people(members * (1 + len(senders)), seed=7, today=today)
            union = add_org(UNION_NAME, OrgLevel.GRASSROOTS, district, rng=rng, unit_type="60")
            _seed_pending_union(union, people[:members])
            ingest = []
            for n, k in enumerate(senders, start=1):
                org = add_org(f"深圳市示例{n}号物流有限公司工会委员会", OrgLevel.GRASSROOTS,
                              district, rng=rng, unit_type="60")  # fmt: skip
                chunk = people[members * n : members * (n + 1)]
                ingest.append((k, *_seed_sent_batch(org, chunk, today)))
            account = add_account("bench", "基准测试", union, Role.OPERATOR, "Bench1234")
            db.session.commit()
            scope = Scope(account.id, account.display_name, account.role, union.id, union.path)

            env = {
                "UNIONCARD_DATABASE_URL": url, "UNIONCARD_REDIS_URL": REDIS_URL,
                "UNIONCARD_BANK_API_URL": bank_server.url,
            }  # fmt: skip
            service = Gunicorn("wsgi:app", env, logdir, "app", port=app_port)
            servers.append(service)
            baseline = Gunicorn("bench.cards_bench:make_baseline_app()", {}, logdir, "baseline")
            servers.append(baseline)

            # A: submit → outbox → bank → callbacks of 500 → every result applied
            done = (
                select(func.count())
                .select_from(MemberCard)
                .where(
                    MemberCard.org_id == union.id,
                    MemberCard.status.in_([CardStatus.ISSUED, CardStatus.FAILED]),
                )
            )
            t0 = time.perf_counter()
            batch = batches.submit(scope, union.id, "普通", BRANCH[0])
            batch_id = batch.id
            t_submit = time.perf_counter()
            db.session.commit()  # eager: the delivery runs here, after the commit
            t1 = time.perf_counter()
            deadline = t1 + 600
            while True:
                db.session.rollback()
                applied = db.session.scalar(done)
                if applied >= members:
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"only {applied} of {members} results after 600 s")
                time.sleep(0.02)
            t2 = time.perf_counter()
            answered = db.session.get(CardBatch, batch_id)
            assert answered.success_count + answered.failure_count == members
            assert all(s == 200 for _, s in bank.callbacks_sent), bank.callbacks_sent
            a_base_s, _ = _send_all(
                baseline.url + RESULTS_PATH, _bodies("X", bank.batches[answered.batch_no].results,
                                                     secret), 1)  # fmt: skip
            end_to_end = {
                "members": members, "callbacks": len(bank.callbacks_sent),
                "submit_s": round(t_submit - t0, 2), "deliver_s": round(t1 - t_submit, 2),
                "callbacks_s": round(t2 - t1, 2), "end_to_end_s": round(t2 - t0, 2),
                "results_per_s": round(members / (t2 - t0)),
                "baseline_s": round(a_base_s, 2),
                "ratio_to_baseline": round((t2 - t0) / a_base_s, 1),
                "success": answered.success_count, "failure": answered.failure_count,
            }  # fmt: skip

            # B: ingest rate, each level on its own 已发送 batch, against the baseline
            rates = []
            for k, batch_no, results in ingest:
                bodies = _bodies(batch_no, results, secret)  # signed just before sending
                base_s, base_answers = _send_all(baseline.url + RESULTS_PATH, bodies, k)
                assert all(a and a[0] == 200 for a in base_answers)
                with CpuMeter(service, DB_NAME) as cpu:
                    app_s, answers = _send_all(service.url + RESULTS_PATH, bodies, k)
                bad = [a for a in answers if not a or a[0] != 200]
                assert not bad, bad[:3]
                applied = sum(a[1]["applied"] for a in answers)
                assert applied == len(results), applied
                rates.append({
                    "senders": k, "results": applied, "callbacks": len(bodies),
                    "app_s": round(app_s, 2), "results_per_s": round(applied / app_s),
                    "baseline_s": round(base_s, 2),
                    "baseline_results_per_s": round(applied / base_s),
                    "ratio_to_baseline": round(app_s / base_s, 1),
                    "slowest_request_s": round(max(a[2] for a in answers), 2),
                    # CPU a callback of CHUNK results costs: app workers, PostgreSQL
                    "app_cpu_ms": round(cpu.app_s * 1000 / len(bodies), 1),
                    "db_cpu_ms": round(cpu.db_s * 1000 / len(bodies), 1),
                })  # fmt: skip
    finally:
        for server in reversed(servers):
            server.stop()
        bank.close()
        bank_server.stop()
    shutil.rmtree(logdir, ignore_errors=True)  # kept when the run failed
    return {
        "workers": WORKERS, "served_by": f"gunicorn -w {WORKERS} (gunicorn.conf.py: gthread, 4 threads), Redis nonces",
        "cpus": os.cpu_count(), "end_to_end": end_to_end, "ingest": rates,
    }  # fmt: skip


def report(result: dict) -> None:
    a = result["end_to_end"]
    print(f"\n办卡批次（PostgreSQL，{result['served_by']}，{date.today()}，{result['cpus']} 核）")
    print("会员数  回调次数  提交s  发送s  回写s  合计s  结果/秒  基线s  倍数")
    print(f"{a['members']:>6} {a['callbacks']:>9} {a['submit_s']:>6} {a['deliver_s']:>6} "
          f"{a['callbacks_s']:>6} {a['end_to_end_s']:>6} {a['results_per_s']:>8} "
          f"{a['baseline_s']:>6} {a['ratio_to_baseline']:>5}")  # fmt: skip
    print(f"\n回调写入（每次回调 {CHUNK} 条结果，同一批次）")
    print(
        "并发  结果数   用时s  结果/秒  最慢请求s  基线s  基线结果/秒  倍数  每次CPU ms 应用+数据库"
    )
    for r in result["ingest"]:
        print(f"{r['senders']:>4} {r['results']:>7} {r['app_s']:>7} {r['results_per_s']:>8} "
              f"{r['slowest_request_s']:>10} {r['baseline_s']:>6} "
              f"{r['baseline_results_per_s']:>12} {r['ratio_to_baseline']:>5}"
              f"  {r['app_cpu_ms']:>6} + {r['db_cpu_ms']}")  # fmt: skip


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 2, 4],
                        help="concurrent senders per ingest run (1 = sequential)")  # fmt: skip
    args = parser.parse_args(argv)
    if not 1 <= args.members <= 10_000:  # the bank takes at most 10,000 members a batch
        parser.error("--members must be 1-10000")
    if any(not 1 <= k <= 8 for k in args.senders):
        parser.error("--senders must be 1-8")
    result = run(args.members, args.senders)
    report(result)
    return result


if __name__ == "__main__":
    main()
