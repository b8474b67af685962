"""The city bench's second half: clerks at every level working at once, on gunicorn, beside
the bare app (bench/city_bench.py builds the city and calls it)."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from bench.city_bench import LEVELS, PASSWORD

CLERKS_BUDGET_MS = 500.0  # issue 15: no page over 500 ms p99


def clerks_at_once(url: str, plan: list[dict], org_of: dict, clerks: int, rounds: int) -> dict:
    """``clerks`` people at once (spread over the five levels), each opening every page of
    their level in a shuffled order, ``rounds`` times, with no pause between pages: the
    service on gunicorn as in production (2 workers, gthread, 4 threads), on PostgreSQL +
    Redis. The baseline: the same clients, as many requests, to the bare app under the same
    gunicorn settings, in the same run. Budget (issue 15): no page over 500 ms p99."""
    import random
    import tempfile
    import threading

    import requests

    from bench.servers import Gunicorn

    redis_url = os.environ.get("BENCH_CITY_REDIS_URL", "redis://127.0.0.1:6379/4")
    env = {"UNIONCARD_DATABASE_URL": url, "REDIS_URL": redis_url, "UNIONCARD_TASK_MODE": "eager",
           "GUNICORN_CMD_ARGS": "--worker-class gthread --threads 4 --keep-alive 30"}  # fmt: skip
    logdir = Path(tempfile.mkdtemp(prefix="city_clerks_"))
    levels = [list(LEVELS)[i % len(LEVELS)] for i in range(clerks)]
    servers = []
    try:
        service = Gunicorn("wsgi:app", env, logdir, "service")
        servers.append(service)
        headers = {}
        for level in LEVELS:  # one sign-in per level, before the clock starts
            r = requests.post(f"{service.url}/api/admin/v1/auth/login", timeout=60,
                              json={"username": f"city_{level}", "password": PASSWORD})  # fmt: skip
            assert r.status_code == 200, r.text
            headers[level] = {"Authorization": f"Bearer {r.json()['token']}"}

        def visits(n: int) -> list[tuple[str, str]]:
            mine = [p for p in plan if levels[n] in p["levels"]]
            rng, out = random.Random(n), []
            for _ in range(rounds):
                rng.shuffle(mine)
                out += [(p["name"], p["url"].format(o=org_of[levels[n]])) for p in mine]
            return out

        work = [visits(n) for n in range(clerks)]
        ours = _crowd(service.url, work, [headers[level] for level in levels], threading)
        bare = Gunicorn("bench.bare_app:app", env, logdir, "bare")
        servers.append(bare)
        floor = [[("空应用", "/healthz")] * len(w) for w in work]
        theirs = _crowd(bare.url, floor, [{} for _ in levels], threading)
    finally:
        for server in servers:
            server.stop()
    by_page = {}
    for name, samples in ours["samples"].items():
        ordered = sorted(samples)
        by_page[name] = {"requests": len(ordered), "p50_ms": round(statistics.median(ordered), 1),
                         "p99_ms": _pct(ordered, 99), "max_ms": round(ordered[-1], 1)}  # fmt: skip
    every = sorted(x for samples in ours["samples"].values() for x in samples)
    base = sorted(theirs["samples"]["空应用"])
    worst = max(page["p99_ms"] for page in by_page.values())
    for name, page in by_page.items():
        print(f"{name:>14}: {clerks} 人同时，p50 {page['p50_ms']} ms，p99 {page['p99_ms']} ms")
    return {
        "clerks": clerks,
        "rounds": rounds,
        "requests": len(every),
        "errors": ours["errors"],
        "first_error": ours["first_error"],
        "seconds": ours["seconds"],
        "rps": round(len(every) / ours["seconds"], 1),
        "p50_ms": round(statistics.median(every), 1),
        "p99_ms": _pct(every, 99),
        "worst_page_p99_ms": worst,
        "pages": by_page,
        "bare_rps": round(len(base) / theirs["seconds"], 1),
        "bare_p50_ms": round(statistics.median(base), 1),
        "bare_p99_ms": _pct(base, 99),
        "ok": worst <= CLERKS_BUDGET_MS and ours["errors"] == 0,
        "load_average": round(os.getloadavg()[0], 1),
    }


def _pct(ordered: list[float], pct: int) -> float:
    return round(ordered[max(0, -(-len(ordered) * pct // 100) - 1)], 1)


def _crowd(base: str, work: list[list[tuple[str, str]]], headers: list[dict], threading) -> dict:
    """Every client thread at once, each through its own list of (page, address)."""
    import requests

    samples: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(work) + 1)

    def clerk(n: int) -> None:
        mine: list[tuple[str, float]] = []
        with requests.Session() as session:
            start.wait()
            for name, address in work[n]:
                t = time.perf_counter()
                r = session.get(base + address, headers=headers[n], timeout=60)
                mine.append((name, (time.perf_counter() - t) * 1000))
                if r.status_code != 200:
                    with lock:
                        errors.append(f"{name} {r.status_code} {r.text[:200]}")
        with lock:
            for name, ms in mine:
                samples.setdefault(name, []).append(ms)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return {"samples": samples, "errors": len(errors), "first_error": errors[0] if errors else None,
            "seconds": round(time.perf_counter() - t0, 2)}  # fmt: skip
