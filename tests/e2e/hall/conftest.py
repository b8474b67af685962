"""The service hall in a real Chromium at a phone's size (390×844): the built app (web/dist/hall)
served by the real Flask app on a live loopback port, every sandbox running (WeChat with its
web OAuth page, SMS, WeChat Pay with its pay sheet, the bank, the registers), every request
outside 127.0.0.1 refused and failing the test, axe-core served same-origin.

The console's helpers are reused: the one build of ``web/`` (``console_dist`` runs ``make web``,
which builds both apps) and the axe check.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.clock import freeze_today
from tests.e2e.console.conftest import (  # noqa: F401  (fixtures and helpers shared)
    SHOTS,
    TMP_SHOTS,
    assert_accessible,
    console_dist,
    guarded_page,
)
from tests.insurance.helpers import TODAY, build_world
from tests.miniapp.pay_helpers import pay_live
from unioncard.extensions import db

ROOT = Path(__file__).resolve().parents[3]
HALL_DIST = ROOT / "web" / "dist" / "hall"
PHONE = {"width": 390, "height": 844}
# the people on the sandbox's authorize page in these tests (person code, label)
PEOPLE = (
    ("demo-hall-e2e-new", "新用户甲（首次进入，未入会）"),
    ("demo-hall-e2e-other", "新用户乙（首次进入，未入会）"),
)


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, TODAY)  # 2026-11-22: the instant year 2026, coverage from 11-23
    return build_world(members_per_union=0)


@pytest.fixture()
def hall(ctx, world, request, monkeypatch):
    """The app and every sandbox on loopback; the hall's pay sheet is the sandbox's."""
    app = ctx
    request.getfixturevalue("console_dist")  # make web: the console and the hall
    assert (HALL_DIST / "index.html").is_file()
    monkeypatch.setitem(app.config, "HALL_DIST", str(HALL_DIST))
    db.session.commit()
    with pay_live(app, monkeypatch) as env:
        monkeypatch.setitem(
            app.config, "HALL_PAY_SHEET_URL", env.boxes.wechatpay_url + "/sandbox/pay-sheet"
        )
        env.boxes.wechat.demo_people = PEOPLE
        yield env


@pytest.fixture()
def phone(browser, hall):
    """Opens a new browser context per call at 390×844 on the hall; outside requests refused."""
    contexts, outside, errors = [], [], []

    def open_phone():
        context, tab = guarded_page(
            browser, outside, errors, viewport=PHONE, device_scale_factor=2, is_mobile=True,
            has_touch=True, base_url=hall.url,
        )  # fmt: skip
        contexts.append(context)
        return tab

    yield open_phone
    for context in contexts:
        context.close()
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert errors == [], f"errors in the page: {errors}"


def screenshot(page, name: str) -> None:
    """README screenshots come from the test run (docs/screenshots with UNIONCARD_SCREENSHOTS=1)."""
    folder = SHOTS if os.environ.get("UNIONCARD_SCREENSHOTS") == "1" else TMP_SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"hall-{name}.png"))
