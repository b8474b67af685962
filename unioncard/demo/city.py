"""`flask demo city`: a whole city of a given size, for measuring every admin screen.

The shape of seed 002's Shanghai, scaled by the number of members: 16 districts, 200
secondary unions, one grassroots union per 20 members, ten of them large (5,000–50,000
members at a million), one of exactly 12 members; two cards for every three members and
one audit record per member. Rows go in through the bulk paths of the import
(``CopyWriter``: COPY on PostgreSQL), with ids given here so that no row is read back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select, text

from ..accounts.models import Role, StaffAccount
from ..audit.models import AuditRecord
from ..bulk import CopyWriter, is_postgres
from ..cards.models import CardStatus, MemberCard
from ..extensions import db
from ..members import numbers
from ..members.models import Member
from ..models_base import SHANGHAI, utcnow
from ..orgs.models import Org, OrgLevel
from ..orgs.uscc import generate_uscc
from ..security.crypto import keyring
from .people import _Generator
from .seed import add_account

CITY_NAME = "演示城市总工会"
DISTRICTS = 16
SECONDARY = 200
BIG_UNIONS = 10
SMALL_UNION = 12  # members of the smallest union measured
CHUNK = 5_000


@dataclass(frozen=True)
class CityLevels:
    """The five orgs the city bench measures, and an admin account at each."""

    city: int
    district: int
    secondary: int
    biggest: int
    small: int

    def accounts(self) -> dict[str, int]:
        return {
            "city": self.city,
            "district": self.district,
            "secondary": self.secondary,
            "biggest": self.biggest,
            "small": self.small,
        }


def _union_sizes(members: int, unions: int, rng: random.Random) -> list[int]:
    """Members per grassroots union: ten large ones first, one of 12, the rest at random."""
    scale = members / 1_000_000
    big = [max(SMALL_UNION + 1, round(5_000 * (k + 1) * scale)) for k in range(BIG_UNIONS)]
    big.reverse()  # the biggest first
    rest = members - sum(big) - SMALL_UNION
    others = unions - BIG_UNIONS - 1
    if rest < others or others < 1:
        raise ValueError("城市太小：会员人数至少为基层工会数的 2 倍")
    weights = [rng.random() + 0.2 for _ in range(others)]
    scale_rest = (rest - others) / sum(weights)
    sizes = [1 + int(w * scale_rest) for w in weights]
    sizes[0] += rest - sum(sizes)  # the rounding, onto one union
    return [*big, SMALL_UNION, *sizes]


def build_city(members: int, *, today: date, password: str, seed: int = 2026) -> CityLevels:
    """The city above, in the session's transaction (the caller commits)."""
    if db.session.scalar(select(Org.id).where(Org.name == CITY_NAME)) is not None:
        raise ValueError("演示城市已存在，请使用新的数据库")
    rng = random.Random(seed)
    unions = max(BIG_UNIONS + 2, members // 20)
    sizes = _union_sizes(members, unions, rng)
    now = utcnow()
    org_id = (db.session.scalar(select(func.max(Org.id))) or 0) + 1

    # --- orgs: city, districts, secondary unions, grassroots unions -------------------------
    orgs: list[tuple] = []
    used_uscc: set[str] = set()

    def org(name, level, parent_path, parent_id, *, code=None, unit_type=None) -> tuple[int, str]:
        nonlocal org_id
        oid, org_id = org_id, org_id + 1
        path = f"{parent_path}{oid}/"
        uscc = generate_uscc(rng, "81")
        while uscc in used_uscc:
            uscc = generate_uscc(rng, "81")
        used_uscc.add(uscc)
        orgs.append((oid, parent_id, path, path.count("/") - 2, level.value, name, uscc,
                     unit_type, code, True, False, now, now))  # fmt: skip
        return oid, path

    city = org(CITY_NAME, OrgLevel.CITY, "/", None, unit_type="34")
    districts = [
        org(f"演示第{d + 1:02d}区总工会", OrgLevel.DISTRICT, city[1], city[0], code=f"{801 + d}")
        for d in range(DISTRICTS)
    ]
    secondaries = [
        org(f"演示第{d % DISTRICTS + 1:02d}区第{d + 1:03d}产业工会联合会", OrgLevel.SECONDARY,
            districts[d % DISTRICTS][1], districts[d % DISTRICTS][0])
        for d in range(SECONDARY)
    ]  # fmt: skip
    grassroots = []  # (org id, path, district index)
    for k in range(len(sizes)):
        d = k % DISTRICTS
        parent = secondaries[k % SECONDARY] if k % 2 == 0 else districts[d]
        d = (k % SECONDARY) % DISTRICTS if k % 2 == 0 else d
        oid, path = org(f"演示城市第{k + 1:05d}号企业工会委员会", OrgLevel.GRASSROOTS, parent[1],
                        parent[0], unit_type="60")  # fmt: skip
        grassroots.append((oid, path, d))
    org_columns = ("id", "parent_id", "path", "depth", "level", "name", "uscc", "unit_type",
                   "district_code", "active", "accepts_individuals", "created_at", "updated_at")  # fmt: skip
    with CopyWriter(Org.__table__, org_columns) as writer:
        writer.write(orgs)

    # --- member numbers, per district, taken before the streaming starts --------------------
    per_district = [0] * DISTRICTS
    for (_, _, d), size in zip(grassroots, sizes, strict=True):
        per_district[d] += size
    given = [iter(numbers.allocate(f"{801 + d}", n)) for d, n in enumerate(per_district)]

    # --- members, cards, audit records ------------------------------------------------------
    ring = keyring()
    people = _Generator(seed, today)
    member_id = (db.session.scalar(select(func.max(Member.id))) or 0) + 1
    card_id = (db.session.scalar(select(func.max(MemberCard.id))) or 0) + 1
    audit_id = (db.session.scalar(select(func.max(AuditRecord.id))) or 0) + 1
    handed = datetime.combine(date(today.year - 1, 6, 1), time(10), tzinfo=SHANGHAI)
    member_columns = ("id", "org_id", "member_no", "name", "id_type", "id_number",
                      "id_number_bidx", "id_expiry", "country", "gender", "birth_date", "mobile",
                      "mobile_bidx", "work_address", "join_date", "source", "status",
                      "insurance_status", "wants_card", "created_at", "updated_at")  # fmt: skip
    card_columns = ("id", "member_id", "org_id", "status", "channel", "verification",
                    "verification_reasons", "info_complete", "individual", "applied_at",
                    "pending_since", "handed_out_at", "created_at", "updated_at")  # fmt: skip
    audit_columns = ("id", "at", "actor_name", "org_id", "org_path", "action", "target_type",
                     "target_ids", "target_key", "changes", "detail")  # fmt: skip
    first_member = member_id
    with CopyWriter(Member.__table__, member_columns) as writer:  # one COPY at a time
        rows = []
        for (oid, _path, d), size in zip(grassroots, sizes, strict=True):
            for _ in range(size):
                p = people.person()
                rows.append((member_id, oid, next(given[d]), p.name, p.id_type,
                    ring.encrypt("id_number", p.id_number),
                    ring.blind_index("id_number", p.id_number), p.id_expiry, p.country,
                    p.gender, p.birth_date, ring.encrypt("mobile", p.mobile),
                    ring.blind_index("mobile", p.mobile), p.work_address, p.join_date,
                    "企业内", "正常", "正常", True, now, now))  # fmt: skip
                member_id += 1
                if len(rows) >= CHUNK:
                    writer.write(rows)
                    rows = []
        writer.write(rows)
    # --- two members in three hold a card, a few wait in 待办 ---------------------------------
    member_id = first_member
    with CopyWriter(MemberCard.__table__, card_columns) as writer:
        rows = []
        for (oid, _path, _d), size in zip(grassroots, sizes, strict=True):
            for _ in range(size):
                roll = rng.random()
                if roll < 0.67:
                    pending = roll < 0.02
                    rows.append((card_id, member_id, oid,
                        (CardStatus.PENDING if pending else CardStatus.HANDED_OUT).value,
                        "普通", "已通过", "[]", False, False, handed,
                        now if pending else None, None if pending else handed, now, now))  # fmt: skip
                    card_id += 1
                member_id += 1
                if len(rows) >= CHUNK:
                    writer.write(rows)
                    rows = []
        writer.write(rows)
    # --- one audit record per member, written by the unions' clerks --------------------------
    with CopyWriter(AuditRecord.__table__, audit_columns) as audit_writer:
        rows = []
        for n in range(members):
            oid, path, _ = grassroots[rng.randrange(len(grassroots))]
            at = now.replace(microsecond=0) if n % 2 else handed
            rows.append((audit_id, at, "演示经办", oid, path, "member.update", "member",
                         f"[{n + 1}]", f",{n + 1},", "{}", "{}"))  # fmt: skip
            audit_id += 1
            if len(rows) >= CHUNK:
                audit_writer.write(rows)
                rows = []
        audit_writer.write(rows)
    if is_postgres():  # the rows above took their ids from here: move the sequences on
        for table in ("org", "member", "member_card", "audit_record"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    levels = CityLevels(
        city=city[0],
        district=districts[grassroots[0][2]][0],
        secondary=secondaries[0][0],  # the biggest union's parent (union 0 sits under it)
        biggest=grassroots[0][0],
        small=grassroots[BIG_UNIONS][0],
    )
    for level, oid in levels.accounts().items():
        account = add_account(f"city_{level}", f"城市{level}管理员", None, Role.ADMIN, password)
        account.org_id = oid
    db.session.flush()
    return levels


def settle() -> None:
    """Commit the city, then VACUUM (ANALYZE) on PostgreSQL: freshly copied rows are not yet
    marked all-visible, so every index-only count would still read the table (a capped count
    at a district: about 90 ms before, 5 ms after). A live database gets there by autovacuum."""
    db.session.commit()
    if is_postgres():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))


def city_levels() -> CityLevels:
    """The five orgs of a city built earlier, found through their admin accounts."""
    names = {f"city_{level}": level for level in CityLevels.__dataclass_fields__}
    found = dict(
        db.session.execute(
            select(StaffAccount.username, StaffAccount.org_id).where(
                StaffAccount.username.in_(names)
            )
        ).all()
    )
    if len(found) != len(names):
        raise LookupError("这个数据库里没有完整的演示城市，请先运行 flask demo city")
    return CityLevels(**{level: found[username] for username, level in names.items()})
