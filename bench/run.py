"""`make bench`: every benchmark, one after the other, in one process; the results go to
bench/results/latest.json and the README's performance tables (bench/readme.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bench import (
    cards_bench,
    city_bench,
    import_bench,
    insurance_bench,
    login_flood_bench,
    miniapp_bench,
    readme,
)

BENCHMARKS = {
    "member_import": import_bench.main,
    "card_batch": cards_bench.main,
    "insurance": insurance_bench.main,
    "miniapp_reads": miniapp_bench.main,
    "login_flood": login_flood_bench.main,
    "city": city_bench.main,
}


def main() -> None:
    """Every benchmark in turn; each result is saved as soon as it is measured, so that a
    failing benchmark (the run then fails) keeps the others' figures in latest.json."""
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    results = {"when": datetime.now().isoformat(timespec="seconds")}
    for name, run in BENCHMARKS.items():
        results[name] = run([])
        (out / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    readme.update(results)


if __name__ == "__main__":
    main()
