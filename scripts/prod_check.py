"""`make prod-check`: the production layout, started and driven over HTTP, then audited.

Step by step (the README's production section describes the same):

1. ports chosen free at run time; a fresh PostgreSQL database and Redis database of the run;
   production keys made for the run (secrets, data keys, blind index, bank, WeChat, WeChat Pay
   RSA keys and APIv3 key) and given to the loopback sandboxes too;
2. ``flask db upgrade`` and ``flask demo seed`` with ``UNIONCARD_ENV=production``;
3. gunicorn (``gunicorn.conf.py``, 2 workers) and celery beat; ``/readyz`` must be 503
   (no worker heartbeat) until a celery worker starts, then 200;
4. the member path in the mini-program API (login, phone, identity, join, approval, card
   application answered by the bank);
5. a card batch by a clerk; the worker is killed (SIGKILL) while the bank holds its answer,
   ``/readyz`` turns 503, a new worker starts; the beat re-sends from the outbox; the bank
   must have the batch once and every result must arrive once;
6. ``/metrics`` with its token; every table and every log file searched for an ID number,
   a mobile or a card number in clear.

Prints what it measured; exits 1 on the first failed check. Needs PostgreSQL and Redis on
127.0.0.1 (``.ci/services.sh``). ``UNIONCARD_PRODCHECK_REDIS_URL`` names the Redis database
(default ``redis://127.0.0.1:6379/12``; flushed at start and end).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from personal_numbers import personal_numbers, text_of  # scripts/: numbers in clear

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.sandboxes import start_sandboxes  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PG_ADMIN = os.environ.get("UNIONCARD_PRODCHECK_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("UNIONCARD_PRODCHECK_REDIS_URL", "redis://127.0.0.1:6379/12")
FIGURES: dict[str, object] = {}


class CheckFailed(AssertionError):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def b64(n: int = 32) -> str:
    return base64.b64encode(os.urandom(n)).decode()


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise CheckFailed(f"timed out after {timeout:.0f}s: {what}")


class Run:
    """Everything the run starts, stopped in reverse order."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="unioncard-prodcheck-"))
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.procs: dict[str, subprocess.Popen] = {}
        self.db_name = f"unioncard_prodcheck_{os.getpid()}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sandboxes = None
        self.env: dict[str, str] = {}

    # -- set-up -----------------------------------------------------------------------------

    def database(self) -> str:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}"')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db_name

    def configure(self) -> None:
        redis.Redis.from_url(REDIS_URL).flushdb()
        merchant_private, merchant_public = rsa_pair()
        platform_private, platform_public = rsa_pair()
        wechat_app_id, wechat_secret = "wxprodcheck000001", secrets.token_hex(16)
        bank_client_secret, bank_secret = secrets.token_hex(16), secrets.token_hex(16)
        mch_id, mch_serial = "1900000999", secrets.token_hex(20).upper()
        platform_serial, apiv3 = (
            "PUB_KEY_ID_" + secrets.token_hex(12).upper(),
            secrets.token_hex(16),
        )
        self.metrics_token = secrets.token_urlsafe(24)
        self.sandboxes = start_sandboxes(
            callback_base_url=self.base,
            client_id="UNIONCARD",
            client_secret=bank_client_secret,
            bank_id="BOC-SH",
            bank_secret=bank_secret,
            result_delay=1.0,
            event_delay=1.0,
            wechat_app_id=wechat_app_id,
            wechat_app_secret=wechat_secret,
            wechatpay={
                "mch_id": mch_id,
                "appid": wechat_app_id,
                "merchant_public_key": merchant_public,
                "merchant_serial": mch_serial,
                "platform_private_key": platform_private,
                "platform_serial": platform_serial,
                "apiv3_key": apiv3,
            },
        )
        box = self.sandboxes
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "FLASK_APP": "wsgi.py",
            "UNIONCARD_ENV": "production",
            "DATABASE_URL": self.database(),
            "REDIS_URL": REDIS_URL,
            "UNIONCARD_SECRET_KEY": secrets.token_urlsafe(32),
            "UNIONCARD_DATA_KEYS": json.dumps({"k1": b64()}),
            "UNIONCARD_DATA_KEY_ID": "k1",
            "UNIONCARD_BLIND_INDEX_KEY": b64(),
            "UNIONCARD_BANK_API_URL": box.bank_url,
            "UNIONCARD_BANK_CLIENT_ID": "UNIONCARD",
            "UNIONCARD_BANK_CLIENT_SECRET": bank_client_secret,
            "UNIONCARD_BANK_CALLBACK_SECRETS": json.dumps({"BOC-SH": bank_secret}),
            "UNIONCARD_POPULATION_API_URL": box.population_url,
            "UNIONCARD_SOCIAL_SECURITY_API_URL": box.social_security_url,
            "UNIONCARD_WECHAT_APP_ID": wechat_app_id,
            "UNIONCARD_WECHAT_APP_SECRET": wechat_secret,
            "UNIONCARD_WECHAT_API_BASE_URL": box.wechat_url,
            "UNIONCARD_WECHAT_OA_APP_SECRET": secrets.token_urlsafe(16),
            "UNIONCARD_SMS_SECRET_KEY": secrets.token_urlsafe(16),
            "UNIONCARD_HALL_URL": "https://hall.prodcheck.invalid/hall/",
            "UNIONCARD_WECHATPAY_API_BASE_URL": box.wechatpay_url,
            "UNIONCARD_WECHATPAY_MCH_ID": mch_id,
            "UNIONCARD_WECHATPAY_MCH_SERIAL": mch_serial,
            "UNIONCARD_WECHATPAY_PRIVATE_KEY": merchant_private,
            "UNIONCARD_WECHATPAY_PLATFORM_PUBLIC_KEY": platform_public,
            "UNIONCARD_WECHATPAY_PLATFORM_SERIAL": platform_serial,
            "UNIONCARD_WECHATPAY_APIV3_KEY": apiv3,
            "UNIONCARD_WECHATPAY_NOTIFY_URL": "https://pay.prodcheck.invalid/api/integrations/wechatpay/v1/notify",
            "UNIONCARD_METRICS_TOKEN": self.metrics_token,
            "UNIONCARD_READY_WORKER_MAX_AGE": "15",
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "prometheus"),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
        }
        (self.tmp / "prometheus").mkdir()

    def flask(self, *args: str) -> None:
        with open(self.logs / "flask-cli.log", "ab") as out:
            subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, check=True,
                           stdout=out, stderr=subprocess.STDOUT)  # fmt: skip

    def start(self, name: str, *command: str) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.procs[name] = proc
        return proc

    def start_worker(self, name: str) -> subprocess.Popen:
        return self.start(name, str(BIN / "celery"), "-A", "wsgi:celery", "worker",
                          "--loglevel=INFO", "--concurrency=2", "-n", f"{name}@prodcheck")  # fmt: skip

    def kill(self, name: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)  # the process group this run started for it
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            self.kill(name)
        if self.sandboxes is not None:
            self.sandboxes.stop()
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            redis.Redis.from_url(REDIS_URL).flushdb()
        except Exception as exc:  # the report matters more than the clean-up
            print(f"clean-up: {exc}", file=sys.stderr)

    # -- HTTP -------------------------------------------------------------------------------

    def get(self, path, **kw):
        return requests.get(self.base + path, timeout=10, **kw)

    def post(self, path, **kw):
        return requests.post(self.base + path, timeout=10, **kw)

    def ready(self) -> tuple[int, dict]:
        r = self.get("/readyz")
        return r.status_code, r.json()["checks"]


def staff(run: Run, username: str) -> dict:
    r = run.post("/api/admin/v1/auth/login", json={"username": username, "password": "Demo@2026"})
    check(r.status_code == 200, f"login {username}: {r.status_code} {r.text}")
    return {"Authorization": f"Bearer {r.json()['token']}"}


def id_number(seq: int) -> str:
    body = f"31011019900101{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def member_path(run: Run) -> None:
    """scripts/miniapp_demo.sh steps 1–7, over HTTP to gunicorn."""
    m = "/api/miniapp/v1"
    r = run.post(f"{m}/auth/login", json={"code": "demo-prodcheck"})
    check(r.status_code == 200, f"member login: {r.text}")
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    r = run.post(f"{m}/me/phone", headers=auth, json={"phone_code": "phone-13812340077"})
    check(r.status_code == 200, f"phone: {r.text}")
    identity = {"name": "王小明", "id_type": "身份证", "id_number": id_number(377),
                "id_expiry": "2036-01-01"}  # fmt: skip
    r = run.post(f"{m}/me/identity", headers=auth, json=identity)
    check(r.status_code == 200, f"identity: {r.text}")
    unions = run.get(f"{m}/unions", headers=auth, params={"q": "新就业", "district": "007"}).json()
    r = run.post(f"{m}/membership/applications", headers=auth | {"Idempotency-Key": "join-pc"},
                 json={"union_id": unions[0]["id"], "source": "灵活就业",
                       "work_unit_address": "上海市杨浦区控江路1号"})  # fmt: skip
    check(r.status_code in (200, 201), f"join: {r.text}")
    clerk = staff(run, "flex_operator")
    apps = run.get("/api/admin/v1/join-applications", headers=clerk, params={"status": "待审核"})
    r = run.post(f"/api/admin/v1/join-applications/{apps.json()[0]['id']}/approve", headers=clerk)
    check(r.status_code == 200, f"approve: {r.text}")
    branch = run.get(f"{m}/branches", headers=auth, params={"district": "007"}).json()[0]["code"]
    r = run.post(f"{m}/card/applications", headers=auth | {"Idempotency-Key": "card-pc"},
                 json={"branch_code": branch, "mailing_address": "上海市杨浦区控江路1号",
                       "id_expiry": "2036-01-01"})  # fmt: skip
    check(r.status_code in (200, 201, 202), f"card application: {r.text}")
    started = time.monotonic()
    status = wait_for(
        lambda: (
            (s := run.get(f"{m}/card/application", headers=auth).json()["card_status"])
            not in ("办理中", "待办中", "未办卡")
            and s
        ),
        90,
        "the member's card application answered by the bank",
    )
    FIGURES["member card application answered in s"] = round(time.monotonic() - started, 1)
    FIGURES["member card status"] = status


def card_batch_with_a_killed_worker(run: Run) -> str:
    """README's card walkthrough steps 2–6; the worker dies while the bank holds its answer."""
    base, clerk = "/api/admin/v1/cards", staff(run, "jm_operator")
    ids = [301, 302, 303, 304, 305, 1, 2, 3]
    run.post(f"{base}/pending", headers=clerk, json={"member_ids": ids})

    def checked():
        rows = run.get(f"{base}/pending", headers=clerk).json()
        return rows and all(row["verification"] not in ("校验中",) for row in rows)

    check(run.post(f"{base}/pending/checks", headers=clerk, json={}).status_code == 202, "checks")
    wait_for(checked, 60, "the register checks")
    requests.put(run.base + f"{base}/pending/302/id-expiry", headers=clerk,
                 json={"id_expiry": "2036-05-31"}, timeout=10)  # fmt: skip
    check(run.post(f"{base}/pending/checks", headers=clerk, json={}).status_code == 202, "checks")
    wait_for(checked, 60, "the register checks, again")
    run.post(f"{base}/pending/remove-unready", headers=clerk, json={"channel": "普通"})

    bank = run.sandboxes.bank
    before = set(bank.batches)
    bank.answer_delay = 6.0
    r = run.post(
        f"{base}/batches", headers=clerk, json={"channel": "普通", "branch_code": "10400701"}
    )
    check(r.status_code == 201, f"batch: {r.status_code} {r.text}")
    batch = r.json()
    batch_no = wait_for(lambda: next(iter(set(bank.batches) - before), None), 30,
                        "the bank receiving the batch")  # fmt: skip
    check(batch_no == batch["batch_no"], f"the bank got {batch_no}, we sent {batch['batch_no']}")
    run.kill("worker-1", signal.SIGKILL)  # mid-send: the bank has the batch, we have no answer
    killed = time.monotonic()
    bank.answer_delay = 0.0
    wait_for(lambda: run.ready()[0] == 503, 40, "/readyz noticing the dead worker")
    FIGURES["readyz 503 after the worker was killed, s"] = round(time.monotonic() - killed, 1)
    check(run.ready()[1].get("worker") == "无后台任务进程", "readyz names the worker")
    run.start_worker("worker-2")
    wait_for(lambda: run.ready()[0] == 200, 60, "/readyz with the new worker")
    FIGURES["readyz 200 again after the new worker started, s"] = round(
        time.monotonic() - killed, 1
    )
    wait_for(
        lambda: (
            run.get(f"{base}/batches/{batch['id']}", headers=clerk).json()["status"] == "已反馈"
        ),
        120,
        "the batch answered after the re-send",
    )
    FIGURES["batch answered after the kill, s"] = round(time.monotonic() - killed, 1)
    # the outbox row the dead worker never marked sent goes again (beat, every 30 s): the bank
    # answers already_received and keeps one batch
    wait_for(lambda: bank.batches[batch_no].submissions >= 2, 90, "the outbox re-sending")
    wait_for(lambda: _outbox_pending(run) == 0, 30, "the outbox marked sent")
    FIGURES["outbox re-sent and emptied after the kill, s"] = round(time.monotonic() - killed, 1)
    FIGURES["batch members"] = len(bank.batches[batch_no].payload["members"])
    FIGURES["bank submissions of the batch (re-sends answered already_received)"] = bank.batches[
        batch_no
    ].submissions
    check(len(set(bank.batches) - before) == 1, "the bank got more than one new batch")
    members = run.get(f"{base}/batches/{batch['id']}/members", headers=clerk).json()
    results = [m.get("result") for m in members]
    check(all(results), f"a member without a result: {results}")
    FIGURES["batch results (success/failure)"] = (
        f"{results.count('success')}/{results.count('failure')}"
    )
    return batch_no


def _outbox_pending(run: Run) -> int:
    with psycopg.connect(run.env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM bank_outbox WHERE status = 'pending'").fetchone()[
            0
        ]


def results_arrived_once(run: Run) -> None:
    with psycopg.connect(run.env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT result_id) FROM card_batch_member WHERE result_id IS NOT NULL"
        ).fetchone()
        receipts = conn.execute("SELECT count(*) FROM bank_receipt").fetchone()[0]
    check(rows[0] == rows[1], f"a result applied twice: {rows}")
    posted = [s for path, s in run.sandboxes.bank.callbacks_sent if path.endswith("card-results")]
    FIGURES["results applied / distinct / bank receipts"] = f"{rows[0]}/{rows[1]}/{receipts}"
    FIGURES["result callbacks posted (status)"] = posted
    check(posted and all(s in (200, 204) for s in posted), f"a result callback refused: {posted}")


# -- privacy: nothing in clear ------------------------------------------------------------


def nothing_in_clear(run: Run) -> None:
    leaks, cells = [], 0
    with psycopg.connect(run.env["DATABASE_URL"]) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]  # fmt: skip
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    cells += 1
                    leaks += [(table, hit) for hit in personal_numbers(text_of(value))]
    FIGURES["tables dumped / cells searched"] = f"{len(tables)}/{cells}"
    check(not leaks, f"personal numbers in clear in tables: {leaks[:5]}")
    log_bytes = 0
    for path in sorted(run.logs.glob("*.log")):
        text = path.read_text(errors="replace")
        log_bytes += len(text)
        hits = personal_numbers(text)
        check(not hits, f"personal numbers in clear in {path.name}: {hits[:5]}")
    FIGURES["log files / bytes searched"] = f"{len(list(run.logs.glob('*.log')))}/{log_bytes}"
    access = (run.logs / "gunicorn.log").read_text()
    check('"request_id"' in access and '"route"' in access, "gunicorn log lines are not JSON")
    check("id_no=***" in access and "mobile=***" in access, "the bait URL was not logged masked")
    lines = [x for x in access.splitlines() if '"unioncard.request"' in x]
    check(len(lines) == len(set(lines)), "request lines logged twice")


BAIT = {"id_no": "310110199001011230", "mobile": "13812345678", "card_no": "6222020200112230"}


def bait(run: Run) -> None:
    """Personal numbers in a URL and a body, so that the log search has something to find if
    the masking failed; the search itself is checked to find them in clear."""
    check(len(personal_numbers(" ".join(BAIT.values()))) == 3, "the search misses a number")
    clerk = staff(run, "jm_operator")
    run.get("/api/admin/v1/members", headers=clerk, params=BAIT)
    run.post(
        "/api/admin/v1/auth/login", json={"username": BAIT["mobile"], "password": BAIT["id_no"]}
    )


def metrics(run: Run) -> None:
    check(run.get("/metrics").status_code == 404, "/metrics without its token")
    text = run.get("/metrics", headers={"Authorization": f"Bearer {run.metrics_token}"}).text
    total = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith("unioncard_http_requests_total{"))  # fmt: skip
    FIGURES["requests counted by /metrics (both gunicorn workers)"] = int(total)
    check(total > 20, "/metrics counted too few requests")
    check('route="/api/admin/v1/cards/batches/<int:batch_id>"' in text, "metrics by URL rule")
    check("unioncard_outbox_backlog 0.0" in text, "the outbox is not empty")


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandboxes' request lines
    run = Run()
    started = time.monotonic()
    try:
        run.configure()
        run.flask("db", "upgrade")
        run.flask("demo", "seed")
        FIGURES["migrate + seed, s"] = round(time.monotonic() - started, 1)
        run.start("gunicorn", str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app")
        run.start("beat", str(BIN / "celery"), "-A", "wsgi:celery", "beat", "--loglevel=INFO",
                  "-s", str(run.tmp / "celerybeat-schedule"))  # fmt: skip
        wait_for(lambda: _answers(run, "/livez"), 60, "gunicorn answering /livez")
        status, checks = run.ready()
        check(
            status == 503 and checks.get("worker") == "无后台任务进程",
            f"readyz without a worker: {checks}",
        )
        FIGURES["readyz without a worker"] = f"{status} {checks}"
        t = time.monotonic()
        run.start_worker("worker-1")
        wait_for(lambda: run.ready()[0] == 200, 60, "/readyz with a worker")
        FIGURES["readyz 200 after the worker started, s"] = round(time.monotonic() - t, 1)
        headers = run.get("/livez").headers
        check("Strict-Transport-Security" in headers and "X-Request-ID" in headers, "prod headers")
        bait(run)
        member_path(run)
        card_batch_with_a_killed_worker(run)
        results_arrived_once(run)
        metrics(run)
        nothing_in_clear(run)
        FIGURES["total, s"] = round(time.monotonic() - started, 1)
        ok = True
    except (CheckFailed, subprocess.CalledProcessError, requests.RequestException) as exc:
        print(f"prod-check FAILED: {exc}", file=sys.stderr)
        print(f"logs kept in {run.logs}", file=sys.stderr)
        ok = False
    finally:
        run.stop()
    for name, value in FIGURES.items():
        print(f"  {name}: {value}")
    print("prod-check: OK" if ok else "prod-check: FAILED")
    return 0 if ok else 1


def _answers(run: Run, path: str) -> bool:
    try:
        return run.get(path).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
