"""Browser tests: the real app on a live loopback port, driven by Debian's Chromium.

Two generic fixtures for every browser test (the API docs here, the console in console/):

- ``live_server``: the base URL (``http://127.0.0.1:<port>``) of the test app served by
  werkzeug from a thread on port 0, on this test's clean database (``ctx``);
- ``browser``: one headless Chromium (``/usr/bin/chromium``, never ``playwright install``)
  for the session; each test opens its own context and page.
"""

from __future__ import annotations

import os

import pytest

from integrations.sandboxes import ServerThread

CHROMIUM = os.environ.get("UNIONCARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture()
def live_server(ctx):
    server = ServerThread(ctx)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":  # CI installs it (.ci/run): never skip there
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
