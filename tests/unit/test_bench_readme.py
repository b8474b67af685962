"""`make bench` rewrites the README's performance tables from its results, and nothing else."""

from __future__ import annotations

from pathlib import Path

from bench import readme

README = Path(__file__).resolve().parents[2] / "README.md"

RESULTS = {
    "when": "2031-12-31T23:50:00",
    "member_import": [
        {"db": "sqlite", "rows": 100_000, "reader_alone_s": 1.5, "validate_s": 5.0,
         "commit_s": 7.25, "preview_path_s": 12.25, "preview_ratio": 8.17, "one_pass_s": 6.0,
         "one_pass_ratio": 4.0, "max_rss_mb": 300, "other_writer_longest_wait_s": 0.25,
         "commit_cpu_s": 3.5, "load_average": 0.4, "member_write_alone_s": 2.5,
         "member_write_alone_ratio": 1.67},
    ],
    "card_batch": {
        "end_to_end": {"members": 10_000, "callbacks": 20, "submit_s": 1.5, "deliver_s": 1.0,
                       "callbacks_s": 4.0, "end_to_end_s": 6.5, "results_per_s": 1538,
                       "baseline_s": 0.1, "ratio_to_baseline": 65.0},
        "ingest": [{"senders": 1, "app_s": 3.0, "results_per_s": 3333,
                    "baseline_results_per_s": 150_000, "ratio_to_baseline": 45.0}],
    },
    "insurance": {"members": 50_000, "units": 2_000, "plain_count_members_ms": 12.0,
                  "statistics_ms": 90.0, "statistics_ratio": 7.5, "eligible_first_page_ms": 120.0,
                  "eligible_ratio": 10.0, "submit_s": 6.1, "plain_count_enrolments_ms": 5.0,
                  "plain_count_submissions_ms": 1.5, "review_pages": 100,
                  "review_page_p50_ms": 14.0, "review_page_p95_ms": 20.0,
                  "review_p95_ratio": 13.3},
    "login_flood": {"requests": 200, "answers": {"401": 7, "503": 193}, "livez_worst_s": 0.42,
                    "livez_p95_s": 0.061, "baseline_worst_s": 0.2, "baseline_p95_s": 0.03,
                    "worst_ratio": 2.1},
    "city": {"members": 100_000, "build_s": 50.0, "repeat": 20, "over_budget": 1,
             "load_average": 1.0,
             "pages": [{"page": "会员列表", "level": "city", "p50_ms": 8.0, "p95_ms": 12.5,
                        "hand_p95_ms": 5.0, "ratio": 2.5, "ok": True},
                       {"page": "会员列表", "level": "small", "p50_ms": 3.0, "p95_ms": 4.0,
                        "hand_p95_ms": 0.5, "ratio": 8.0, "ok": True},
                       {"page": "参保统计", "level": "biggest", "p50_ms": 90.0, "p95_ms": 140.0,
                        "hand_p95_ms": 20.0, "ratio": 7.0, "ok": False}],
             "floor_p95_ms": {"city": 2.25, "district": 2.5, "secondary": 2.0, "biggest": 2.0,
                              "small": 1.75},
             "clerks": {"clerks": 20, "requests": 1_400, "p50_ms": 120.0, "p99_ms": 310.0,
                        "bare_p50_ms": 30.0, "bare_p99_ms": 90.0,
                        "pages": {"会员列表": {"requests": 160, "p50_ms": 130.0, "p99_ms": 300.0,
                                               "max_ms": 350.0},
                                  "参保统计": {"requests": 64, "p50_ms": 150.0, "p99_ms": 520.0,
                                               "max_ms": 610.0}}}},
    # the mini-program run is missing a figure: its table stays as it was
    "miniapp_reads": {"endpoints": {"/api/miniapp/v1/me": {"service": {"rps": 400.0}}}},
}  # fmt: skip


def _table(text: str, heading: str) -> list[str]:
    lines = text.split("## 性能")[1].split(heading)[1].split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next(i for i in range(first, len(lines)) if not lines[i].startswith("|"))
    return lines[first:end]


def test_tables_and_date_are_rewritten_and_the_rest_kept(tmp_path):
    copy = tmp_path / "README.md"
    before = README.read_text(encoding="utf-8")
    copy.write_text(before, encoding="utf-8")
    assert readme.update(RESULTS, copy) == ["miniapp_reads"]
    after = copy.read_text(encoding="utf-8")
    assert (
        "| SQLite | 100,000 | 1.50 | 5.00 | 7.25 | 3.50 | 12.25 | 8.2× | 6.00 | 4.0× | 2.50 | 1.7×"
        " | 300 | 0.25 | 0.4 |" in after
    )
    assert "| PostgreSQL | 20,000 | " not in after.split("## 性能")[1].split("### 办卡批次")[0]
    assert (
        "| 1 万人批次：提交 1.50 + 发送银行 1.00 + 回调写回 4.00 | 6.50 | 1,538 |"
        " 同样请求体的往返 0.10 s |" in after
    )
    assert "| 回调写入，1 个发送方 | 3.00 | 3,333 | 150,000 条/秒（45×） |" in after
    assert (
        "| 提交 5 万人集中参保（含告知书 PDF、提交事务） | 6.10 s | | | < 5 s **未达到** |" in after
    )
    assert "p50 14.0 ms，p95 20.0 ms | 1.5 ms | 13× | p95 < 100 ms 达到 |" in after
    assert "以下数据测于 2031-12-31，本机：" in after
    assert (
        "| 200 个并发错误登录期间的 `/livez` | 0.42 s | 61 ms | 0.20 s / 30 ms | 2.1× |"
        " 401×7、503×193 |" in after
    )
    # the city: pages down, levels across, a page over budget in bold, a level it lacks "—"
    assert _table(after, "### 全市规模")[2:] == [
        "| 会员列表 | 12.5 / 5.0（2.5×） | — | — | — | 4.0 / 0.5（8.0×） |",
        "| 参保统计 | — | — | — | **140.0 / 20.0（7.0×）** | — |",
        "| 请求本身（`/auth/me`，p95） | 2.2 | 2.5 | 2.0 | 2.0 | 1.8 |",
    ]
    # the clerks at once: slowest page first, a p99 over 500 ms in bold, the bare app below
    assert _table(after, "#### 20 名经办人同时使用") == [
        "| 页面（20 名经办人同时，共 1,400 次请求） | 次数 | p50 ms | p99 ms | 最慢 ms |",
        "|---|---:|---:|---:|---:|",
        "| 参保统计 | 64 | 150 | **520** | 610 |",
        "| 会员列表 | 160 | 130 | 300 | 350 |",
        "| 全部页面 | 1,400 | 120 | 310 | |",
        "| 基线：同样的客户端、同样多的请求发给空应用 | 1,400 | 30 | 90 | |",
    ]
    assert "10 万会员" in _table(after, "### 全市规模")[0]
    # the mini-program table and everything outside the tables are untouched
    mini = "### 小程序读接口"
    assert _table(after, mini) == _table(before, mini) and len(_table(before, mini)) >= 3
    assert before.split("## 性能")[0] == after.split("## 性能")[0]


def test_the_callback_rows_carry_the_cpu_a_callback_costs():
    result = {
        **RESULTS["card_batch"],
        "ingest": [
            {**RESULTS["card_batch"]["ingest"][0], "app_cpu_ms": 21.5, "db_cpu_ms": 18.0},
            {"senders": 2, "app_s": 2.0, "results_per_s": 5000, "baseline_results_per_s": 150_000,
             "ratio_to_baseline": 30.0},  # an older result without the CPU figures
        ],
    }  # fmt: skip
    rows = readme.cards_table(result)
    assert rows[0].endswith("| 每次回调 CPU ms（应用 + 数据库） |")
    assert "| 回调写入，1 个发送方 | 3.00 | 3,333 | 150,000 条/秒（45×） | 22 + 18 |" in rows
    assert "| 回调写入，2 个并发 | 2.00 | 5,000 | 150,000 条/秒（30×） | — |" in rows


def test_the_full_city_workbench_table_is_rewritten_under_its_heading(tmp_path):
    """The home page's statistics of the full-size city: pages down, levels across, p95 (p50),
    over 100 ms in bold; the before/after table below it is the README's own and stays."""
    copy = tmp_path / "README.md"
    before = README.read_text(encoding="utf-8")
    copy.write_text(before, encoding="utf-8")
    rows = [
        {"page": "首页（业务工作台）", "level": "city", "p50_ms": 140.0, "p95_ms": 150.25,
         "ok": False},
        {"page": "首页（业务工作台）", "level": "small", "p50_ms": 10.0, "p95_ms": 12.5, "ok": True},
    ]  # fmt: skip
    heading = "#### 全尺寸：业务工作台（首页）"
    tables = {"city/workbench": readme.FULL_CITY_TABLES["city/workbench"]}
    results = {"when": "2031-12-31T23:50:00", "city": {"workbench": rows}}
    assert readme.update(results, copy, tables=tables) == []
    after = copy.read_text(encoding="utf-8")
    assert _table(after, heading) == [
        "| 接口（p95（p50）ms） | 市总 | 区局 | 二级工会 | 最大基层工会 | 12 人基层工会 |",
        "|---|---:|---:|---:|---:|---:|",
        "| 首页（业务工作台） | **150.2（140.0）** | — | — | — | 12.5（10.0） |",
    ]

    assert "以下数据测于 2031-12-31，本机：" in after  # the run's own date, not today's
    # only that table (and the date line) changed: all before it and after it is as it was

    def around(text: str) -> tuple[str, str]:
        head, _, tail = readme.MACHINE.sub("", text).partition(heading)
        lines = tail.split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("|"))
        end = next(i for i in range(first, len(lines)) if not lines[i].startswith("|"))
        return head + "\n".join(lines[:first]), "\n".join(lines[end:])

    assert around(after) == around(before)
