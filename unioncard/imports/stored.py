"""Valid import rows as the member table stores them, and the registry look-ups.

- ``RegistryLookups`` / ``NoLookups``: what the engine asks the registry (by blind index);
  the blind indexes are computed a chunk at a time and kept until ``forget``, so that
  writing the rows that were just looked up does not compute them twice.
- ``member_rows``: the rows in ``ROW_COLUMNS`` order, ID number and mobile encrypted.
- ``member_lines``: the same rows in COPY text format (``bulk.copy_line`` of each), built
  without a Python call per value in the usual case.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from ..bulk import among, copy_line
from ..extensions import db
from ..members.models import Member
from ..orgs.models import Org
from ..security.crypto import keyring
from .results import ExistingMember

_KINDS = ("id_number", "mobile")
# what COPY's text format escapes (``bulk.copy_text``); without them a text is written as is
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


class RegistryLookups:
    """The engine's view of the registry, by blind index (no plaintext leaves the database)."""

    def __init__(self, connection=None):
        self.ring = keyring()
        self.bidx: dict[str, dict[str, str]] = {kind: {} for kind in _KINDS}
        # the commit pass streams a COPY on the session's connection: look up on another
        self.run = (connection or db.session).execute

    def index(self, kind: str, value: str) -> str:
        return self.indexes(kind, (value,))[0]

    def indexes(self, kind: str, values) -> list[str]:
        """The blind index of each value (computed once per value until ``forget``)."""
        known = self.bidx[kind]
        missing = [v for v in values if v not in known]
        if missing:
            known.update(zip(missing, self.ring.blind_indexes(kind, missing), strict=True))
        return [known[v] for v in values]

    def find_ids(self, id_numbers: list[str]) -> dict[str, ExistingMember]:
        by_bidx = dict(zip(self.indexes("id_number", id_numbers), id_numbers, strict=True))
        rows = self.run(
            select(Member.id_number_bidx, Member.name, Member.org_id, Org.name, Member.mobile_bidx)
            .join(Org, Org.id == Member.org_id)
            .where(among(Member.id_number_bidx, list(by_bidx)))
        )
        return {by_bidx[b]: ExistingMember(*found) for b, *found in rows}

    def find_mobiles(self, mobiles: list[str]) -> set[str]:
        by_bidx = dict(zip(self.indexes("mobile", mobiles), mobiles, strict=True))
        rows = self.run(
            select(Member.mobile_bidx).where(among(Member.mobile_bidx, list(by_bidx)))
        ).scalars()
        return {by_bidx[b] for b in rows}

    def forget(self) -> None:
        for known in self.bidx.values():
            known.clear()


class NoLookups:
    """The commit pass asks the registry nothing: its unique indexes (ID and mobile blind
    indexes) refuse any clash, and ``find_problems`` then names the rows."""

    def __init__(self):
        self.ring = keyring()

    def find_ids(self, id_numbers):
        return {}

    def find_mobiles(self, mobiles):
        return set()

    def index(self, kind: str, value: str) -> str:
        return self.ring.blind_index(kind, value)

    def indexes(self, kind: str, values) -> list[str]:
        return self.ring.blind_indexes(kind, values)

    def forget(self) -> None:
        pass


def _sealed(members: list, lookups) -> tuple[list, list, list, list]:
    """(ID numbers encrypted, their blind indexes, mobiles encrypted, their blind indexes)."""
    ring = lookups.ring
    ids = [m.id_number for m in members]
    mobiles = [m.mobile for m in members]
    return (
        ring.encrypt_many("id_number", ids),
        lookups.indexes("id_number", ids),
        ring.encrypt_many("mobile", mobiles),
        lookups.indexes("mobile", mobiles),
    )


def member_rows(members: list, lookups, *, true=True, false=False) -> list[tuple]:
    """The valid rows as stored, in ``ROW_COLUMNS`` order: ID number and mobile encrypted
    (a batch at a time), with their blind indexes (``lookups.indexes``). ``true``/``false``:
    what ``wants_card`` becomes (SQLite stores 1 and 0)."""
    return [
        (
            m.name,
            m.id_type,
            m.id_expiry,
            m.country,
            m.gender,
            m.birth_date,
            m.work_address,
            m.join_date,
            true if m.wants_card else false,
            m.remark,
            id_number,
            id_bidx,
            mobile,
            mobile_bidx,
        )
        for m, id_number, id_bidx, mobile, mobile_bidx in zip(
            members, *_sealed(members, lookups), strict=True
        )
    ]


def member_lines(members: list, lookups) -> list[str]:
    """``copy_line`` of each of ``member_rows``: the same text, built with one format a row
    when the row's texts are strings holding nothing COPY escapes (the encrypted values and
    blind indexes are base64 and hex: they never do); ``copy_line`` otherwise."""
    special = _COPY_SPECIAL.search
    join = "".join
    out = []
    for m, id_number, id_bidx, mobile, mobile_bidx in zip(
        members, *_sealed(members, lookups), strict=True
    ):
        name, id_type, country, gender = m.name, m.id_type, m.country, m.gender
        address, remark, expiry, joined = m.work_address, m.remark, m.id_expiry, m.join_date
        try:
            plain = not special(join((name, id_type, country, gender, address, remark)))
        except TypeError:  # not all strings
            plain = False
        if not plain:
            row = (name, id_type, expiry, country, gender, m.birth_date, address, joined)
            row += (m.wants_card, remark, id_number, id_bidx, mobile, mobile_bidx)
            out.append(copy_line(row))
            continue
        expiry = "\\N" if expiry is None else expiry.isoformat()
        joined = "\\N" if joined is None else joined.isoformat()
        out.append(
            f"{name}\t{id_type}\t{expiry}\t{country}\t{gender}\t{m.birth_date.isoformat()}\t"
            f"{address}\t{joined}\t{'t' if m.wants_card is True else 'f'}\t{remark}\t"
            f"{id_number}\t{id_bidx}\t{mobile}\t{mobile_bidx}"
        )
    return out
