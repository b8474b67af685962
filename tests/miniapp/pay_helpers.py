"""Set-up for the WeChat Pay tests: the app and every sandbox (WeChat Pay included) on
loopback, a carded member bound to a WeChat user, and a plan of the instant year (2026)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from tests.insurance.helpers import add_people, give_cards, make_plan
from unioncard.extensions import db
from unioncard.payments.models import PaymentOrder

from .helpers import API, bind, live, member_login

NOTIFY_PATH = "/api/integrations/wechatpay/v1/notify"
INSURANCE = f"{API}/insurance"


@contextmanager
def pay_live(app, monkeypatch):
    """``live`` plus WeChat Pay: the client points at the sandbox, the sandbox notifies the
    served app."""
    with live(app, monkeypatch) as env:
        monkeypatch.setitem(app.config, "WECHATPAY_API_BASE_URL", env.boxes.wechatpay_url)
        monkeypatch.setitem(app.config, "WECHATPAY_NOTIFY_URL", env.url + NOTIFY_PATH)
        env.boxes.wechatpay.refund_delay = 0.05
        env.boxes.wechatpay.retry_backoff = 0.05
        yield env


def plan_2026(world, **kw):
    """A plan of the instant year (TODAY is 2026-11-22: coverage 2026-11-23 to 12-31)."""
    values = {"individual_share": Decimal("13.00"),
              "valid_from": datetime(2026, 1, 1, tzinfo=UTC)} | kw  # fmt: skip
    return make_plan(world, year=2026, **values)


def carded_member(client, world, org_key="gA2", seq=500, code=None):
    """A member of ``org_key`` with an active card, logged in and bound in the mini-program.
    Returns (member, headers)."""
    member = add_people(world.org(org_key), 1, start_seq=seq)[0]
    give_cards([member])
    headers = member_login(client, code or f"demo-member-{seq}")
    bind(client, headers, member.name, member.id_number, member.mobile)
    return member, headers


def enrol(client, headers, plan, *, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"{INSURANCE}/enrolments", json={"plan_id": plan.id, "year": plan.year},
        headers=headers | extra,
    )  # fmt: skip


def the_order(enrolment_id: int) -> PaymentOrder:
    db.session.rollback()
    return db.session.query(PaymentOrder).filter_by(enrolment_id=enrolment_id).one()
