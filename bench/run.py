"""`make bench`: every benchmark, one after the other, in one process; the results go to
bench/results/latest.json and the README's performance tables (bench/readme.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bench import cards_bench, import_bench, insurance_bench, miniapp_bench, readme


def main() -> None:
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "member_import": import_bench.main([]),
        "card_batch": cards_bench.main([]),
        "insurance": insurance_bench.main([]),
        "miniapp_reads": miniapp_bench.main([]),
    }
    (out / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    readme.update(results)


if __name__ == "__main__":
    main()
