"""Rotating the data key: old values stay readable, `rotate` moves them to the new key."""

from __future__ import annotations

import base64
import os

from sqlalchemy import text

from tests.world import build_world
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.security.crypto import EXTENSION_KEY, Keyring
from unioncard.security.rotation import rotate
from unioncard.storage.models import StoredFile
from unioncard.storage.services import XLSX, read_file, store_file


def test_rotation_to_a_new_key(ctx):
    build_world(members_per_union=2)
    stored = store_file(b"PK data", filename="a.xlsx", purpose="member_import", content_type=XLSX)
    db.session.commit()
    plain = {m.id: (m.id_number, m.mobile) for m in db.session.query(Member)}
    old_ring = ctx.extensions[EXTENSION_KEY]
    new_key = base64.b64encode(os.urandom(32)).decode()
    keys = dict(ctx.config["DATA_KEYS"]) | {"k2": new_key}
    ctx.extensions[EXTENSION_KEY] = Keyring(keys, "k2", ctx.config["BLIND_INDEX_KEY"])
    try:
        db.session.expire_all()
        # before rotating: old values still decrypt with the old key id
        assert {m.id: (m.id_number, m.mobile) for m in db.session.query(Member)} == plain
        counts = rotate(batch=2)
        assert counts["member.id_number"] == len(plain) and counts["stored_file"] == 1
        raw = db.session.execute(text("SELECT id_number, mobile FROM member")).all()
        assert all(v.startswith("k2:") for row in raw for v in row)
        # the old key can go: everything reads with the new one alone
        ctx.extensions[EXTENSION_KEY] = Keyring(
            {"k2": new_key}, "k2", ctx.config["BLIND_INDEX_KEY"]
        )
        db.session.expire_all()
        assert {m.id: (m.id_number, m.mobile) for m in db.session.query(Member)} == plain
        assert read_file(stored.id)[1] == b"PK data"
        assert rotate()["member.id_number"] == 0  # nothing left to move
    finally:
        ctx.extensions[EXTENSION_KEY] = old_ring
    assert db.session.get(StoredFile, stored.id).key_id == "k2"
