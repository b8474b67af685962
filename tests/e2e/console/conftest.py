"""The staff console in a real Chromium: the built app (web/dist) served by the real Flask app
on a live loopback port, demo-like data, every request outside 127.0.0.1 refused and failing
the test, and an axe-core check helper.

The one Chromium of the session is tests/e2e/conftest.py's ``browser`` (a process holds one
Playwright).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from integrations.sandboxes import ServerThread
from unioncard.extensions import db

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "web"
DIST = WEB / "dist" / "console"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "screenshots"
TMP_SHOTS = Path(tempfile.gettempdir()) / "unioncard-screenshots"
DEMO_DAY = date(2026, 6, 15)  # the demo data never depends on today's date
PASSWORD = "Demo@2026"


@pytest.fixture(scope="session")
def console_dist():
    """Build the console once per session (make's stamps make it a no-op when up to date)."""
    if shutil.which("npm") is None and os.environ.get("CI") != "true":
        pytest.skip("构建管理控制台需要 npm（make web）")
    lock = ROOT / "web" / ".build.lock"
    with open(lock, "w") as handle:  # xdist workers build one at a time
        fcntl.flock(handle, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "web"], cwd=ROOT, check=True, capture_output=True)
    assert (DIST / "index.html").is_file()
    return DIST


@pytest.fixture()
def demo_world(ctx):
    """The demo org tree, accounts, branches and members (fewer of them), committed."""
    from unioncard.demo.seed import seed_demo

    seed_demo(PASSWORD, today=DEMO_DAY, members=150)
    db.session.commit()
    return ctx


@pytest.fixture()
def console(demo_world, console_dist):
    """The real app serving the built console on 127.0.0.1, port 0."""
    demo_world.config["CONSOLE_DIST"] = str(console_dist)
    db.session.remove()
    server = ServerThread(demo_world)
    # track request threads so that stopping waits for the ones in flight: none may still hold
    # a database connection when the next test resets the database
    server.server.daemon_threads = False
    server.server.block_on_close = True
    yield server.url
    server.stop()  # shuts down, then joins the request threads


def guarded_page(browser, outside: list, errors: list, **context_options):
    """A new context and tab: any request not to 127.0.0.1 is refused and noted in ``outside``,
    page errors go to ``errors``, axe-core is served same-origin. Returns (context, tab)."""
    # the browser's own zone is UTC, not Beijing: times on screen must be converted by the app
    context_options.setdefault("timezone_id", "UTC")
    context = browser.new_context(locale="zh-CN", **context_options)

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    # axe-core is handed to the page as a script of the page's own origin (never inline), so the
    # console is tested under the same Content-Security-Policy as in production
    context.route(
        "**/__axe__.js",
        lambda route: route.fulfill(
            body=AXE.read_text(encoding="utf-8"), content_type="application/javascript"
        ),
    )
    tab = context.new_page()
    # generous: CI machines and shared runners can be slow; a passing step takes far less
    tab.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, tab


@pytest.fixture()
def page(browser, console):
    """A fresh browser context at 1366×768; any request not to 127.0.0.1 is refused and fails."""
    outside: list[str] = []
    errors: list[str] = []
    context, tab = guarded_page(
        browser, outside, errors, viewport={"width": 1366, "height": 768}, base_url=console
    )
    yield tab
    context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert errors == [], f"errors in the page: {errors}"


SETTLED = """() => !document.querySelector(
    '[class*="-leave-active"], [class*="-enter-active"], .is-loading, .el-loading-mask')"""


def axe_violations(page) -> list[dict]:
    """Critical and serious axe-core findings on the page once it has settled: no popper or
    dialog half-way through its opening or closing transition, nothing loading."""
    page.wait_for_function(SETTLED, timeout=10_000)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        page.add_script_tag(url=f"{origin}/__axe__.js")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n["html"][:160]) for n in v["nodes"][:5]],
        }
        for v in result
        if v["impact"] in ("critical", "serious")
    ]


def assert_accessible(page) -> None:
    found = axe_violations(page)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def screenshot(page, name: str) -> None:
    """Screenshots for the README come from the test run: written into docs/screenshots with
    UNIONCARD_SCREENSHOTS=1 (then committed), otherwise into a temporary folder."""
    folder = SHOTS if os.environ.get("UNIONCARD_SCREENSHOTS") == "1" else TMP_SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"console-{name}.png"))


def account(username: str):
    from unioncard.accounts.models import StaffAccount

    return db.session.scalars(select(StaffAccount).where(StaffAccount.username == username)).one()
