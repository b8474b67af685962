"""What the gunicorn-served benchmarks share: the PostgreSQL admin URL, a gunicorn server on
a loopback port started and stopped by the benchmark, and the CPU its workers and database
backends use while a block runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn -w WORKERS`` on a loopback port, started and stopped by this process."""

    def __init__(self, target: str, env: dict[str, str], logdir: Path, name: str,
                 port: int | None = None):  # fmt: skip
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = logdir / f"{name}.log"
        self._logfile = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b",
             f"127.0.0.1:{self.port}", "--chdir", str(ROOT), "--timeout", "120",
             "--no-control-socket", target],
            env={**os.environ, **env}, stdout=self._logfile, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 180.0) -> None:  # a loaded machine boots slowly
        import requests

        deadline = time.monotonic() + timeout
        ready = 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    ready += 1
                    if ready >= 2 * WORKERS:  # give every worker time to boot
                        return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout}s; see {self.log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._logfile.close()


def cpu_seconds(pids) -> dict[int, float]:
    """CPU seconds (user + system) each of ``pids`` has used so far, from ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone, or not Linux
            continue
        used[pid] = (int(stat[11]) + int(stat[12])) / tick
    return used


class CpuMeter:
    """CPU used by the service's gunicorn workers and by this benchmark database's
    PostgreSQL backends (same machine) while a block runs: unlike the wall time, it hardly
    moves when other work shares the cores."""

    def __init__(self, server: Gunicorn, db_name: str):
        self.server = server
        self.db_name = db_name

    def _pids(self) -> tuple[list[int], list[int]]:
        import psycopg

        master = self.server.proc.pid
        try:
            workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            workers = []
        with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"),
                             autocommit=True) as c:  # fmt: skip
            backends = [pid for (pid,) in c.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db_name,))]  # fmt: skip
        return [int(w) for w in workers], backends

    def __enter__(self):
        self.workers, self.backends = self._pids()
        self.before = cpu_seconds(self.workers + self.backends)
        return self

    def __exit__(self, *exc):
        workers, backends = self._pids()
        after = cpu_seconds(set(workers + backends + self.workers + self.backends))

        def used(pids):
            return sum(after[p] - self.before.get(p, 0.0) for p in set(pids) if p in after)

        self.app_s = used(workers + self.workers)
        self.db_s = used(backends + self.backends)
