"""The README's walkthroughs, run as written against a live demo.

The demo is started the way ``make run`` starts it (``scripts/run_demo.sh``: migrate, load
the demo data, the loopback sandboxes, the app), on a temporary SQLite database and free
ports. Each code block the README marks ``<!-- walkthrough: NAME -->`` is run with bash
in README order, with the README's base URL replaced by the live one; its exit status and
the answers that prove each step did what the README says are checked.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- walkthrough: (\w+) -->\s*```bash\n(.*?)```", re.S)
BANK_RESULT_DELAY = 6  # enough to revoke a batch between submitting it and the answer


def walkthroughs() -> dict[str, str]:
    return dict(BLOCK.findall(README.read_text(encoding="utf-8")))


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port() -> int:
    """A port P with P and P+101…P+105 (the sandboxes of run_demo.sh) all free, below the
    kernel's ephemeral range: a port picked inside it can be taken by any outgoing
    connection of a test running beside this one before the demo binds it (seen in CI: a
    sandbox's port was, and the demo ran without its sandboxes)."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ephemeral.read_text().split()[0]) if ephemeral.exists() else 32_768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10_000, min(low, 32_768) - 110)
        if all(_free(port + k) for k in (0, 101, 102, 103, 104, 105)):
            return port
    raise AssertionError("no free ports for the demo")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``scripts/run_demo.sh`` on a fresh temporary database: (port, log path)."""
    if not (ROOT / ".venv" / "bin" / "flask").exists():
        if os.environ.get("CI") == "true":  # make test installs it: never skipped in CI
            pytest.fail("no .venv: run make install")
        pytest.skip("scripts/run_demo.sh runs the project's .venv (make install)")
    work = tmp_path_factory.mktemp("demo")
    port = free_base_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UNIONCARD_", "PYTEST_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env |= {
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{work / 'demo.db'}",
        "BANK_RESULT_DELAY": str(BANK_RESULT_DELAY),
        "BANK_EVENT_DELAY": "1",
    }
    log_path = work / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["bash", "scripts/run_demo.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.5)
        yield port, log_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run(block: str, port: int, cwd: Path, *, timeout: float = 120) -> str:
    """Run a README block with bash, stopping at the first failing command; it must exit
    0. Its output."""
    script = block.replace("http://127.0.0.1:5000", f"http://127.0.0.1:{port}")
    script = script.replace("PORT=5000 ", f"PORT={port} ")
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("UNIONCARD_")},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    print(f"{script[:40]!r}: {time.monotonic() - started:.1f} s")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def run_in_folder(blocks: dict[str, str], name: str, port: int, tmp_path: Path):
    """Run walkthrough ``name`` in a new empty folder (where it saves its downloads)."""
    cwd = tmp_path / name
    cwd.mkdir()
    return cwd, run(blocks[name], port, cwd)


def expect(output: str, *needles: str) -> None:
    for needle in needles:
        assert needle in output, f"{needle!r} not in the output:\n{output[-4000:]}"


def test_every_walkthrough_runs_as_written(demo, tmp_path):
    port, log_path = demo
    blocks = walkthroughs()
    assert list(blocks) == ["import", "cards", "reviews", "insurance", "miniapp", "hall"]
    for name, block in blocks.items():
        assert "http://127.0.0.1:5000" in block or "PORT=5000 " in block, name

    # 会员导入: the template, an upload queued and its progress, a reveal audited
    # (the walkthrough's Excel editing is the reader's; the commands run as written)
    cwd, out = run_in_folder(blocks, "import", port, tmp_path)
    assert (cwd / "模板.xlsx").read_bytes()[:2] == b"PK"
    # unfilled, the template fails the header checks: the walkthrough waits for them
    expect(out, '"status":"排队中"', '"status":"校验未通过"', "请把表头内容填写完整！")
    expect(out, '"reason":"会员来电核对"')

    # 会员服务卡办理, step by step as the README's comments say
    cwd, out = run_in_folder(blocks, "cards", port, tmp_path)
    expect(
        out,
        "演示李强",  # 1
        "办理状态为「已发放」，无需添加",  # 2
        "会员编号尚未生成，请等待编号生成后再添加",
        '"added":5',
        "人口库比对未通过：姓名与身份证号码不符",  # 3, after the checks finished
        "证件已过期，请修改证件到期日",
        "请移除校验未通过及未校验的会员（2 人），才能进行提交办卡。",  # 4
        "已移除 1 人",
        '"total":4',  # 5
        '"failure_count":2',  # 6
        '"success_count":2',
        '"reason_code":"ID_MISMATCH"',
        '"reason_code":"NAME_CHARSET"',
        "银行办卡成功",
        "已重新加入待办会员列表",  # 7: still in 特殊, so 完善信息 is accepted
        "信息已完善",
        '"channel":"特殊"',
        '"status":"审核通过"',  # 8
        "已登记发放",  # 9
        "张佳子",
    )
    assert "只有特殊通道的会员需要完善信息" not in out
    assert (cwd / "清册.pdf").read_bytes()[:4] == b"%PDF"

    # 年审
    cwd, out = run_in_folder(blocks, "reviews", port, tmp_path)
    expect(
        out,
        '"members":107',  # 1
        '"status":"进行中"',
        '"reason":"离职","remark":"2026年9月离职"',  # 3
        '"status":"待审核"',  # 5
        '"code":403',
        '"status":"已通过"',  # 6
        '"reviewed_count":107',
        "年度年审不通过：退休",
        "每年只能进行一次年审",
        "上海国华广场物业管理有限公司工会委员会",  # 7
    )

    # 集中参保 (run from the repository, as the README says): the files go to a temporary
    # folder it names, not the current one; a second run on the same data says it was
    # done, changes nothing and exits cleanly
    before = sorted(ROOT.iterdir())
    out = run(blocks["insurance"], port, ROOT, timeout=180)
    expect(out, "== 9.", "已完成 职保中心经办", "统计表已下载：")
    assert "Traceback" not in out
    folder = Path(re.search(r"下载的文件存放在：(\S+)", out).group(1))
    try:
        assert sorted(ROOT.iterdir()) == before
        assert (folder / "statistics.xlsx").read_bytes()[:2] == b"PK"
        assert (folder / "district-notice.pdf").read_bytes()[:4] == b"%PDF"
        assert (folder / "jianming-notice.pdf").read_bytes()[:4] == b"%PDF"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    again = run(blocks["insurance"], port, ROOT)
    expect(again, "这份演示数据已经演示过", "make clean && make run")
    assert "Traceback" not in again and "KeyError" not in again

    # 小程序: a new member all the way to a card and coverage
    out = run(blocks["miniapp"], port, ROOT)
    expect(out, "已通过", "办卡状态：", "已完成")
    assert "Traceback" not in out

    # 服务大厅: web login, SMS binding, the registry member is the mini-program's account
    out = run(blocks["hall"], port, ROOT)
    expect(out, "新用户：已绑定 False 已是会员 False", "再次使用： 登录请求已失效",
           "马上再发： 验证码发送过于频繁", '"mobile":"139****', "验证码再用一次： 请先获取短信验证码",
           "在册会员：已绑定 True 已是会员 True", "演示周会员 137****0001")  # fmt: skip
    assert "Traceback" not in out
    assert "Traceback" not in log_path.read_text(errors="replace")


def test_starting_again_clears_the_demo_database(tmp_path):
    """The README's 从头再来: ``make clean`` removes the demo database (and only what it
    names), so the next ``make run`` loads fresh demo data."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "var").mkdir()
    for name in ("unioncard.db", "unioncard.db-wal", "keep.txt"):
        (tmp_path / "var" / name).write_text("x")
    assert "make clean && make run" in README.read_text(encoding="utf-8")
    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["keep.txt"]
