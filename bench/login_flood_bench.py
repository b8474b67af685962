"""200 concurrent wrong-password logins against the embedded server (werkzeug, threaded, as
`make run` serves), with production Argon2 costs and the per-IP limit and captcha out of the
way, so that only the bound on concurrent password hashes stands between the flood and the
rest of the service. Meanwhile ``/livez`` is polled every 50 ms; its worst and p95 latency are
compared with the same poll during a flood of 200 plain ``/livez`` requests (the baseline:
what 200 connections at once cost this machine anyway).

    .venv/bin/python -m bench.login_flood_bench
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from datetime import date

from flask_migrate import upgrade

from bench.flood import latencies_during
from integrations.sandboxes import ServerThread
from unioncard import create_app
from unioncard.extensions import db

LOGIN = "/api/admin/v1/auth/login"
BYPASS = "bench-captcha-pass"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main(argv=None) -> dict:
    from unioncard.demo.seed import seed_demo

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "TASK_MODE": "eager",
                "CAPTCHA_BYPASS": BYPASS,
                "LOGIN_IP_LIMIT": 10_000,
            }
        )
        with app.app_context():
            upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
            seed_demo("Demo@2026", today=date(2026, 6, 15), members=10)
            db.session.commit()
            db.session.remove()
        bodies = [
            {
                "username": "jm_operator" if i % 10 == 0 else f"nobody{i}",
                "password": f"guess-{i}",
                "captcha_code": BYPASS,
            }
            for i in range(200)
        ]
        with ServerThread(app) as server:
            server.server.socket.listen(1024)
            base, _ = latencies_during(server.url, "/livez", bodies, probe="/livez")
            flood, answers = latencies_during(server.url, LOGIN, bodies, probe="/livez")
    statuses = Counter(status for status, _, _ in answers)
    result = {
        "requests": len(bodies),
        "answers": dict(sorted(statuses.items())),
        "argon2": {
            "time_cost": app.config["ARGON2_TIME_COST"],
            "memory_cost": app.config["ARGON2_MEMORY_COST"],
        },
        "hash_concurrency": app.config["LOGIN_HASH_CONCURRENCY"],
        "livez_worst_s": round(max(flood), 3),
        "livez_p95_s": round(_p95(flood), 3),
        "baseline_worst_s": round(max(base), 3),
        "baseline_p95_s": round(_p95(base), 3),
        "load_average": round(os.getloadavg()[0], 1),
    }
    result["worst_ratio"] = round(
        result["livez_worst_s"] / max(result["baseline_worst_s"], 1e-3), 2
    )
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
