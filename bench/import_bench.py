"""Benchmark: import of an N-row member template, end to end, on PostgreSQL and on the
embedded default (SQLite, a file, as `make run` uses it).

Reported beside the time python-calamine alone takes to read the same file, in the same
run. Each size runs in its own process so that its peak memory (max RSS) is its own.
While the members are written, another connection writes a row every 50 ms (as a login
would): its longest wait is reported.

    python -m bench.import_bench                      # 20k and 100k rows, both databases
    python -m bench.import_bench --db sqlite --rows 100000 --one
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import python_calamine
from sqlalchemy import text

from bench.make_import_file import BRANCHES, UNION_NAME, make_import_file

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
DB_NAME = f"unioncard_bench_import_{os.getpid()}"  # others may run benchmarks too


def _fresh_database(kind: str) -> str:
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="unioncard-bench-"))
        return f"sqlite:///{folder / 'bench.db'}"
    import psycopg

    with psycopg.connect(
        PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _drop(kind: str, url: str) -> None:
    if kind == "sqlite":
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


def reader_alone(data: bytes) -> tuple[float, float]:
    """(wall, CPU) seconds python-calamine takes to read every row of the file."""
    start, cpu = time.perf_counter(), time.process_time()
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = sum(1 for _ in book.get_sheet_by_index(0).iter_rows())
    assert rows > 0
    return time.perf_counter() - start, time.process_time() - cpu


class OtherWriter:
    """Another user of the database during the import: a small write every 50 ms."""

    def __init__(self, engine):
        self.engine, self.longest, self.failures = engine, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.wait(0.05):
            start = time.perf_counter()
            try:
                with self.engine.begin() as c:
                    c.execute(text("UPDATE org SET updated_at = updated_at WHERE id = 1"))
            except Exception:
                self.failures += 1
            self.longest = max(self.longest, time.perf_counter() - start)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def member_write_alone(db, kind: str) -> float:
    """Seconds the database alone takes to write the members just imported into the member
    table once more, the rows given ready (``INSERT … SELECT`` from a plain copy; rolled back): its
    eight indexes and the foreign key to the union, with no file, no checks, no encryption.
    No import can write its rows faster than this; the confirm step is this plus its own work."""
    db.session.execute(text("CREATE TABLE bench_rows AS SELECT * FROM member"))
    db.session.execute(text("DELETE FROM member"))
    db.session.commit()
    if kind == "postgresql":  # as before the one pass: no dead copies in the unique indexes
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM member"))
    db.session.execute(text("SELECT 1"))  # the transaction begun before the clock starts
    start = time.perf_counter()
    db.session.execute(text("INSERT INTO member SELECT * FROM bench_rows"))
    elapsed = time.perf_counter() - start
    db.session.rollback()
    db.session.execute(text("DROP TABLE bench_rows"))
    db.session.commit()
    return elapsed


def one(rows: int, kind: str = "postgresql") -> dict:
    from flask_migrate import upgrade

    from unioncard import create_app
    from unioncard.accounts.models import Role
    from unioncard.accounts.scope import Scope
    from unioncard.demo.seed import add_account, add_org
    from unioncard.extensions import db
    from unioncard.imports import services
    from unioncard.orgs.models import BankBranch, OrgLevel

    data = make_import_file(rows)
    url = _fresh_database(kind)
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "TASK_MODE": "eager",
            "IMPORT_MAX_ROWS": max(rows, 100_000),
        }
    )
    import random

    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        rng = random.Random(1)
        city = add_org("深圳市总工会", OrgLevel.CITY, rng=rng)
        district = add_org(
            "深圳市福田区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="440"
        )
        union = add_org(UNION_NAME, OrgLevel.GRASSROOTS, district, rng=rng, unit_type="60")
        for code, name in BRANCHES:
            db.session.add(
                BankBranch(org_id=district.id, code=code, name=name, address="深圳市福田区")
            )
        account = add_account("bench", "基准测试", union, Role.OPERATOR, "Bench1234")
        db.session.commit()
        scope = Scope(account.id, account.display_name, account.role, union.id, union.path)

        reader, reader_cpu = reader_alone(data)
        # 1. the clerk's path: upload → preview (validation task) → 确认导入
        t0, c0 = time.perf_counter(), time.process_time()
        job = services.upload(scope, union.id, "members.xlsx", data)
        db.session.commit()  # dispatches the validation task (eager: runs here, in chunks)
        t1 = time.perf_counter()
        job = db.session.get(type(job), job.id)
        assert job.status.value == "待确认导入", (job.status, job.message)
        c1 = time.process_time()
        with OtherWriter(db.engine) as other:
            services.commit(scope, job.id)
            db.session.commit()
        t2, c2 = time.perf_counter(), time.process_time()
        count = db.session.scalar(text("SELECT count(*) FROM member"))
        assert count == rows, count
        # 2. one pass (auto_commit): the same people again into a second, empty union
        db.session.execute(text("DELETE FROM member"))
        db.session.commit()
        if kind == "postgresql":
            # the same people come in again: without a VACUUM their 100,000 dead rows keep
            # their entries in the unique indexes, and every insert checks the dead copy of
            # its own ID number and mobile (no real import meets that)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM member"))
        t3, c3 = time.perf_counter(), time.process_time()
        with OtherWriter(db.engine) as other2:
            job = services.upload(scope, union.id, "members.xlsx", data, auto_commit=True)
            db.session.commit()
        t4, c4 = time.perf_counter(), time.process_time()
        job = db.session.get(type(job), job.id)
        assert job.status.value == "已导入", (job.status, job.message)
        assert db.session.scalar(text("SELECT count(*) FROM member")) == rows
        write_alone = member_write_alone(db, kind)
        db.session.remove()
        db.engine.dispose()
    _drop(kind, url)
    preview = t2 - t0
    one_pass = t4 - t3
    return {
        "db": kind,
        "rows": rows,
        "file_mb": round(len(data) / 1e6, 2),
        "reader_alone_s": round(reader, 2),
        "validate_s": round(t1 - t0, 2),
        "commit_s": round(t2 - t1, 2),
        # this process's CPU time: what the commit costs when the machine is not shared
        "commit_cpu_s": round(c2 - c1, 2),
        # the same for the rest (on a loaded machine the CPU ratios say more than the wall
        # ones; the database server's own work is not in them)
        "reader_alone_cpu_s": round(reader_cpu, 2),
        "validate_cpu_s": round(c1 - c0, 2),
        "preview_path_cpu_ratio": round((c2 - c0) / reader_cpu, 2),
        "one_pass_cpu_s": round(c4 - c3, 2),
        "one_pass_cpu_ratio": round((c4 - c3) / reader_cpu, 2),
        "load_average": round(os.getloadavg()[0], 1),
        # the floor under any import: the table's own writes (indexes, foreign key), nothing else
        "member_write_alone_s": round(write_alone, 2),
        "member_write_alone_ratio": round(write_alone / reader, 2),
        "preview_path_s": round(preview, 2),
        "preview_ratio": round(preview / reader, 2),
        "one_pass_s": round(one_pass, 2),
        "one_pass_ratio": round(one_pass / reader, 2),
        "rows_per_s_one_pass": round(rows / one_pass),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "other_writer_longest_wait_s": round(max(other.longest, other2.longest), 2),
        "other_writer_failures": other.failures + other2.failures,
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 100_000])
    parser.add_argument("--db", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--one", action="store_true", help="run one size in this process")
    args = parser.parse_args(argv)
    if args.one:
        result = one(args.rows[0], args.db[0])
        print(json.dumps(result))
        return [result]
    results = []
    for rows in args.rows:
        for kind in args.db:
            out = subprocess.run(
                [sys.executable, "-m", "bench.import_bench", "--one", "--rows", str(rows)]
                + ["--db", kind],
                capture_output=True,
                text=True,
            )
            if out.returncode:
                sys.exit(f"{kind} {rows}: failed\n{out.stderr[-3000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    print(f"\n会员导入（{date.today()}，{os.cpu_count()} 核）")
    print(
        f"{'数据库':>10} {'行数':>8} {'仅读取s':>8} {'预览校验s':>9} {'确认导入s':>9} "
        f"{'确认导入CPU s':>12} {'预览路径s':>9} {'一次导入s':>9} {'写入本身s':>9} {'峰值内存MB':>10} "
        f"{'他人写入最长等待s':>12} {'负载':>5}"
    )
    for r in results:
        print(
            f"{r['db']:>10} {r['rows']:>8} {r['reader_alone_s']:>8} {r['validate_s']:>9} "
            f"{r['commit_s']:>9} {r['commit_cpu_s']:>12} {r['preview_path_s']:>9} "
            f"{r['one_pass_s']:>9} {r['member_write_alone_s']:>9} {r['max_rss_mb']:>10} "
            f"{r['other_writer_longest_wait_s']:>12} "
            f"{r['load_average']:>5}"
        )
    return results


if __name__ == "__main__":
    main()
