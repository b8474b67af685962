"""The README's performance tables, written from one ``make bench`` run.

Each table under its ``###`` heading of ``## 性能`` is replaced whole; the sentence giving
the date and the machine is rewritten. A benchmark whose results lack a figure the table
needs leaves its table as it was (and says so), rather than printing a half-true table.

    python -m bench.readme                 # from bench/results/latest.json
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LATEST = Path(__file__).parent / "results" / "latest.json"
MACHINE = re.compile(r"以下数据[^。\n]*?测于 \d{4}-\d{2}-\d{2}，本机：[^。\n]*。")


def _people(n: int) -> str:
    return f"{n // 10_000} 万" if n % 10_000 == 0 else f"{n:,}"


def import_table(results: list[dict]) -> list[str]:
    rows = [
        "| 数据库 | 行数 | 仅读取 s | 预览校验 s | 确认导入 s | 确认导入 CPU s | 预览路径 s | 倍数"
        " | 一次导入 s | 倍数 | 会员表写入本身 s | 倍数 | 峰值内存 MB | 他人写入最长等待 s | 负载 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for r in results:
        rows.append(
            f"| {names.get(r.get('db', 'postgresql'), r.get('db'))} | {r['rows']:,} |"
            f" {r['reader_alone_s']:.2f} | {r['validate_s']:.2f} | {r['commit_s']:.2f} |"
            f" {r['commit_cpu_s']:.2f} | {r['preview_path_s']:.2f} | {r['preview_ratio']:.1f}× |"
            f" {r['one_pass_s']:.2f} | {r['one_pass_ratio']:.1f}× |"
            f" {r['member_write_alone_s']:.2f} | {r['member_write_alone_ratio']:.1f}× |"
            f" {r['max_rss_mb']} |"
            f" {r['other_writer_longest_wait_s']:.2f} | {r['load_average']:.1f} |"
        )
    return rows


def cards_table(result: dict) -> list[str]:
    a = result["end_to_end"]
    rows = [
        "| 项目 | 用时 s | 结果/秒 | 基线 | 每次回调 CPU ms（应用 + 数据库） |",
        "|---|---:|---:|---|---:|",
        f"| {_people(a['members'])}人批次：提交 {a['submit_s']:.2f} + 发送银行 {a['deliver_s']:.2f}"
        f" + 回调写回 {a['callbacks_s']:.2f} | {a['end_to_end_s']:.2f} | {a['results_per_s']:,} |"
        f" 同样请求体的往返 {a['baseline_s']:.2f} s | |",
    ]
    for r in result["ingest"]:
        who = "1 个发送方" if r["senders"] == 1 else f"{r['senders']} 个并发"
        cpu = (
            f"{r['app_cpu_ms']:.0f} + {r['db_cpu_ms']:.0f}"
            if r.get("app_cpu_ms") is not None and r.get("db_cpu_ms") is not None
            else "—"
        )
        rows.append(
            f"| 回调写入，{who} | {r['app_s']:.2f} | {r['results_per_s']:,} |"
            f" {r['baseline_results_per_s']:,} 条/秒（{r['ratio_to_baseline']:.0f}×） | {cpu} |"
        )
    return rows


def insurance_table(r: dict) -> list[str]:
    members, units = r["members"], r["units"]
    submit = "达到" if r["submit_s"] < 5 else "**未达到**"
    p95 = "达到" if r["review_page_p95_ms"] < 100 else "**未达到**"
    return [
        "| 项目 | 用时 | 同表 count(*) | 倍数 | 目标 |",
        "|---|---:|---:|---:|---|",
        f"| 统计行（{_people(members)}会员） | {r['statistics_ms']:.0f} ms |"
        f" {r['plain_count_members_ms']:.1f} ms | {r['statistics_ratio']:.1f}× | |",
        f"| 可参保名单第一页（含总数） | {r['eligible_first_page_ms']:.0f} ms |"
        f" {r['plain_count_members_ms']:.1f} ms | {r['eligible_ratio']:.1f}× | |",
        f"| 提交 {_people(members)}人集中参保（含告知书 PDF、提交事务） | {r['submit_s']:.2f} s |"
        f" | | < 5 s {submit} |",
        f"| 区局待审批列表，{units:,} 家、每页 20（{r['review_pages']} 页） |"
        f" p50 {r['review_page_p50_ms']:.1f} ms，p95 {r['review_page_p95_ms']:.1f} ms |"
        f" {r['plain_count_submissions_ms']:.1f} ms | {r['review_p95_ratio']:.0f}× |"
        f" p95 < 100 ms {p95} |",
    ]


def miniapp_table(r: dict) -> list[str]:
    rows = [
        "| 接口 | 本服务 req/s | p50 / p99 ms | 空应用 req/s | 空应用 p50 / p99 ms | 占空应用 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for path, e in r["endpoints"].items():
        ours, bare = e["service"], e["bare"]
        rows.append(
            f"| `GET {path.removeprefix('/api/miniapp/v1')}` | {ours['rps']:,.0f} |"
            f" {ours['p50_ms']:.0f} / {ours['p99_ms']:.0f} | {bare['rps']:,.0f} |"
            f" {bare['p50_ms']:.0f} / {bare['p99_ms']:.0f} | {e['share_of_bare'] * 100:.1f}% |"
        )
    return rows


def login_flood_table(r: dict) -> list[str]:
    answers = "、".join(f"{status}×{n}" for status, n in r["answers"].items())
    return [
        "| 项目 | 最慢 | p95 | 同时 200 个 `/livez` 时（基线）最慢 / p95 | 倍数 | 应答 |",
        "|---|---:|---:|---:|---:|---|",
        f"| {r['requests']} 个并发错误登录期间的 `/livez` | {r['livez_worst_s']:.2f} s |"
        f" {r['livez_p95_s'] * 1000:.0f} ms | {r['baseline_worst_s']:.2f} s /"
        f" {r['baseline_p95_s'] * 1000:.0f} ms | {r['worst_ratio']:.1f}× | {answers} |",
    ]


CITY_LEVELS = ("city", "district", "secondary", "biggest", "small")


def city_table(r: dict) -> list[str]:
    """Pages down, the five levels across; each cell: API p95 / hand-written SQL p95 (ratio),
    bold when over the budget (p95 ≤ 100 ms and ≤ 3× the SQL)."""
    cells: dict[str, dict[str, str]] = {}
    for row in r["pages"]:
        cell = f"{row['p95_ms']:.1f} / {row['hand_p95_ms']:.1f}（{row['ratio']:.1f}×）"
        cells.setdefault(row["page"], {})[row["level"]] = cell if row["ok"] else f"**{cell}**"
    rows = [
        f"| 页面（{_people(r['members'])}会员，p95 / 手写 SQL p95 ms） | 市总 | 区局 | 二级工会"
        " | 最大基层工会 | 12 人基层工会 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page, by_level in cells.items():
        rows.append(f"| {page} | " + " | ".join(by_level.get(k, "—") for k in CITY_LEVELS) + " |")
    floor = r["floor_p95_ms"]
    rows.append("| 请求本身（`/auth/me`，p95） | "
                + " | ".join(f"{floor[k]:.1f}" for k in CITY_LEVELS) + " |")  # fmt: skip
    return rows


def workbench_table(rows: list[dict]) -> list[str]:
    """The home page's statistics: p95 (p50) at each level, bold when over 100 ms."""
    cells: dict[str, dict[str, str]] = {}
    for row in rows:
        cell = f"{row['p95_ms']:.1f}（{row['p50_ms']:.1f}）"
        cells.setdefault(row["page"], {})[row["level"]] = cell if row["ok"] else f"**{cell}**"
    out = [
        "| 接口（p95（p50）ms） | 市总 | 区局 | 二级工会 | 最大基层工会 | 12 人基层工会 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page, by_level in cells.items():
        out.append(f"| {page} | " + " | ".join(by_level.get(k, "—") for k in CITY_LEVELS) + " |")
    return out


def clerks_table(r: dict) -> list[str]:
    """Each page's p50 / p99 while the clerks work at once, and the bare app's beside them."""
    rows = [
        f"| 页面（{r['clerks']} 名经办人同时，共 {r['requests']:,} 次请求） | 次数 | p50 ms | p99 ms |"
        " 最慢 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, page in sorted(r["pages"].items(), key=lambda item: -item[1]["p99_ms"]):
        p99 = f"{page['p99_ms']:.0f}"
        rows.append(f"| {name} | {page['requests']} | {page['p50_ms']:.0f} |"
                    f" {p99 if page['p99_ms'] <= 500 else f'**{p99}**'} | {page['max_ms']:.0f} |")  # fmt: skip
    rows.append(f"| 全部页面 | {r['requests']:,} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | |")
    rows.append(f"| 基线：同样的客户端、同样多的请求发给空应用 | {r['requests']:,} |"
                f" {r['bare_p50_ms']:.0f} | {r['bare_p99_ms']:.0f} | |")  # fmt: skip
    return rows


TABLES: dict[str, tuple[str, Callable]] = {
    "member_import": ("### 会员导入", import_table),
    "card_batch": ("### 办卡批次与银行回调", cards_table),
    "insurance": ("### 集中参保", insurance_table),
    "miniapp_reads": ("### 小程序读接口", miniapp_table),
    "login_flood": ("### 登录洪水", login_flood_table),
    "city": ("### 全市规模", city_table),
    "city/clerks": ("#### 20 名经办人同时使用", clerks_table),
}


# The full-size city (python -m bench.city_bench --members 1000000 --readme): its own tables.
FULL_CITY_TABLES: dict[str, tuple[str, Callable]] = {
    "city": ("#### 全尺寸：100 万会员", city_table),
    "city/clerks": ("#### 全尺寸：20 名经办人同时使用", clerks_table),
    "city/workbench": ("#### 全尺寸：业务工作台（首页）", workbench_table),
}


def _pick(results: dict, key: str):
    for part in key.split("/"):
        results = results[part]
    return results


def _replace_table(lines: list[str], heading: str, table: list[str]) -> None:
    section = lines.index("## 性能")
    start = next(i for i in range(section, len(lines)) if lines[i].startswith(heading))
    first = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("|"))
    last = first
    while last < len(lines) and lines[last].startswith("|"):
        last += 1
    lines[first:last] = table


def machine(when: str) -> str:
    """以下数据测于 …，本机：… (the date of the run, cores, memory, server versions)."""
    parts = [f"{os.cpu_count()} 核"]
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        parts.append(f"{round(kib / 1024 / 1024)} GiB")
    except (OSError, ValueError, IndexError):
        pass
    servers = []
    try:
        import psycopg

        from bench.cards_bench import REDIS_URL
        from bench.servers import PG_ADMIN

        with psycopg.connect(PG_ADMIN) as c:
            version = c.execute("SHOW server_version").fetchone()[0]
        servers.append(f"PostgreSQL {version.split('.')[0]}")
        import redis

        version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
        servers.append(f"Redis {version.split('.')[0]}")
    except Exception:  # the sentence is still true without the versions
        pass
    python = ".".join(platform.python_version_tuple()[:2])
    return f"以下数据测于 {when[:10]}，本机：{'、'.join([*parts, *servers])}，Python {python}。"


def update(results: dict, readme: Path = README, tables=None) -> list[str]:
    """Rewrite the tables in ``readme``; returns the benchmarks whose table was left as it was."""
    lines = readme.read_text(encoding="utf-8").split("\n")
    skipped = []
    for key, (heading, render) in (tables or TABLES).items():
        try:
            table = render(_pick(results, key))
        except (KeyError, TypeError) as exc:
            print(f"README：{heading} 的表格未更新（结果缺少 {exc}）", file=sys.stderr)
            skipped.append(key)
            continue
        _replace_table(lines, heading, table)
    text = "\n".join(lines)
    text = MACHINE.sub(lambda _m: machine(results.get("when", date.today().isoformat())), text)
    readme.write_text(text, encoding="utf-8")
    return skipped


if __name__ == "__main__":
    update(json.loads(LATEST.read_text(encoding="utf-8")))
