"""Shared set-up for the card tests: people with chosen IDs, a live app and the sandboxes."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from datetime import date

from integrations.sandboxes import ServerThread, start_sandboxes
from integrations.signing import signed_headers
from tests.world import build_world, login
from unioncard.demo.people import Person
from unioncard.demo.seed import add_members
from unioncard.extensions import db
from unioncard.members.idcard import resident_id_check_char
from unioncard.members.models import Member

TODAY = date(2026, 11, 22)
CARDS = "/api/admin/v1/cards"


def rid(seq: str, birth: str = "19880315", region: str = "310110") -> str:
    first17 = region + birth + seq
    return first17 + resident_id_check_char(first17)


def person(
    name,
    seq,
    *,
    id_type="身份证",
    id_number=None,
    expiry=date(2036, 5, 31),
    mobile_tail=0,
    country="中国",
    gender="男",
) -> Person:
    return Person(
        name=name,
        id_type=id_type,
        id_number=id_number or rid(seq),
        id_expiry=expiry,
        country=country,
        gender=gender,
        birth_date=date(1988, 3, 15),
        mobile=f"1390000{mobile_tail:04d}",
        work_address="上海市杨浦区黄兴路1599号",
        join_date=date(2020, 1, 1),
    )


CAST = {
    "ok": person("王芳", "123", mobile_tail=1),
    "unmatched": person("李强", "901", mobile_tail=2),
    "mismatch_at_bank": person("张伟", "444", mobile_tail=3),
    "gbk_only": person("王珺", "125", mobile_tail=4),
    "rare": person("𠮷田春", "127", mobile_tail=5),
    "passport": person(
        "JOHN SMITH", "", id_type="护照", id_number="E12345678", country="美国", mobile_tail=6
    ),
    "expired": person("赵敏", "129", expiry=date(2020, 1, 1), mobile_tail=7, gender="女"),
}


def cast_world():
    world = build_world(members_per_union=0)
    org = world.org("gA1")
    add_members(org, list(CAST.values()))
    db.session.commit()
    ids = {
        key: db.session.query(Member.id).filter_by(name=p.name).scalar() for key, p in CAST.items()
    }
    return world, ids


@contextmanager
def served_with_sandboxes(app, monkeypatch):
    """The app served on a loopback port, and the bank and register sandboxes pointed at it
    (and it at them)."""
    server = ServerThread(app)
    cfg = app.config
    boxes = start_sandboxes(
        callback_base_url=server.url,
        client_id=cfg["BANK_CLIENT_ID"],
        client_secret=cfg["BANK_CLIENT_SECRET"],
        bank_id="BOC-SH",
        bank_secret=cfg["BANK_CALLBACK_SECRETS"]["BOC-SH"],
        result_delay=0.05,
        event_delay=0.05,
        today=TODAY,
    )
    monkeypatch.setitem(cfg, "BANK_API_URL", boxes.bank_url)
    monkeypatch.setitem(cfg, "POPULATION_API_URL", boxes.population_url)
    monkeypatch.setitem(cfg, "SOCIAL_SECURITY_API_URL", boxes.social_security_url)
    try:
        yield boxes
    finally:
        boxes.stop()
        server.stop()


def wait_until(predicate, timeout: float = 15.0, message: str = "timed out") -> None:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # end the read snapshot: see what other connections committed
        if predicate():
            return
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def bank_post(client, app, path: str, body: dict, *, bank_id="BOC-SH", secret=None, **kwargs):
    """A callback signed as the bank signs it."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    secret = secret or app.config["BANK_CALLBACK_SECRETS"][bank_id]
    headers = signed_headers(bank_id, secret, "POST", path, raw, **kwargs)
    return client.post(path, data=raw, headers=headers)


__all__ = ["login"]
