"""Organisations (工会组织树), related enterprises (关联企业) and bank branches (领卡网点)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    any_,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin, UTCDateTime, enum_column, utcnow


class OrgLevel(enum.StrEnum):
    CITY = "市总工会"
    DISTRICT = "区局(产业)工会"
    SECONDARY = "二级工会"
    GRASSROOTS = "基层工会"


class UnitType(enum.StrEnum):
    PUBLIC = "34"  # 机关事业单位
    ENTERPRISE = "60"  # 企业
    OTHER = "39"  # 其他


UNIT_TYPE_NAMES = {"34": "机关事业单位", "60": "企业", "39": "其他"}

# Which level may sit directly under which.
CHILD_LEVELS = {
    OrgLevel.CITY: {OrgLevel.DISTRICT},
    OrgLevel.DISTRICT: {OrgLevel.SECONDARY, OrgLevel.GRASSROOTS},
    OrgLevel.SECONDARY: {OrgLevel.SECONDARY, OrgLevel.GRASSROOTS},
    OrgLevel.GRASSROOTS: set(),
}


def within(path_column, path: str) -> ColumnElement[bool]:
    """Rows whose materialised path lies inside the subtree at ``path`` ("/1/4/").

    A range on the path, ``path >= '/1/4/' AND path < '/1/40'`` ('0' follows '/'), not
    ``LIKE '/1/4/%'``: under a non-C collation (C.UTF-8) PostgreSQL cannot turn a LIKE
    prefix into a btree range, so the plain index on the path serves every level only
    this way (and SQLite's too)."""
    if not path.endswith("/"):  # not a stored path: the plain prefix match
        return path_column.startswith(path, autoescape=True)
    return and_(path_column >= path, path_column < path[:-1] + "0")


# A subtree of up to this many orgs is named by its ids (one small query first); bigger ones
# (a whole city) by the path sub-select.
SUBTREE_BY_IDS_UP_TO = 5_000


def subtree_ids(path: str) -> list[int] | None:
    """The ids of the orgs at ``path`` and below, or None if there are more than
    SUBTREE_BY_IDS_UP_TO of them."""
    subtree = select(Org.id).where(within(Org.path, path)).limit(SUBTREE_BY_IDS_UP_TO + 1)
    ids = list(db.session.scalars(subtree))
    return None if len(ids) > SUBTREE_BY_IDS_UP_TO else ids


_LOOK_UP = object()


def in_subtree(
    org_id_column, org_id: int, path: str, level, *, sized=True, ids=_LOOK_UP
) -> ColumnElement[bool]:
    """Rows (by their org id column) of the org at ``path`` or any org below it.

    The planner must know how many rows that is: a secondary union holding the city's
    50,000-member union looks, through ``IN (SELECT id FROM org WHERE path …)``, like 250
    average unions (5,000 members), so it sorts all 53,000 instead of reading the newest ten
    from the primary key (53 ms against 1.3 ms on the 1,000,000-member city). So:

    * a grassroots union has no orgs below it (CHILD_LEVELS): ``org_id = X``, whose size the
      column statistics know, read in order from the (org_id, …) indexes;
    * a subtree of up to SUBTREE_BY_IDS_UP_TO orgs: its ids (``subtree_ids``, looked up
      first unless given), as one array (``= ANY``, PostgreSQL) or an IN list (SQLite),
      estimated union by union;
    * larger: the path sub-select (about a whole district, where averages hold);
    * the city (市总工会): every row that has an org. Orgs are only ever set up under a
      parent (orgs.services.create_org), so the city is the one root and its subtree is the
      whole tree: no sub-select over 50,000 orgs to join (a city's 待办 count: 65 → 20 ms).

    ``sized=False`` (one row by its id, where no estimate matters): the path sub-select, no
    lookup first.
    """
    if level == OrgLevel.GRASSROOTS:
        return org_id_column == org_id
    if level == OrgLevel.CITY:
        return org_id_column.is_not(None)
    if sized and ids is _LOOK_UP:
        ids = subtree_ids(path)
    if not sized or ids is None:
        return org_id_column.in_(select(Org.id).where(within(Org.path, path)).scalar_subquery())
    if db.session.get_bind().dialect.name == "postgresql":
        return org_id_column == any_(literal(list(ids), ARRAY(Integer)))
    return org_id_column.in_(ids)


class Org(TimestampMixin, db.Model):
    """A union in the tree 市总工会 → 区局(产业)工会 → 二级工会* → 基层工会 (工会组织)."""

    __tablename__ = "org"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    # Materialised path of ids, "/1/4/9/": the data scope is a prefix match on it.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[OrgLevel] = enum_column(OrgLevel, "org_level")
    name: Mapped[str] = mapped_column(String(100), unique=True)  # full legal name
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    unit_type: Mapped[UnitType | None] = enum_column(UnitType, "unit_type", nullable=True)
    address: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    district_code: Mapped[str | None] = mapped_column(String(3), unique=True)  # districts only
    accepts_individuals: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Org | None] = relationship(remote_side=[id])
    enterprises: Mapped[list[RelatedEnterprise]] = relationship(
        back_populates="org", cascade="all, delete-orphan", order_by="RelatedEnterprise.id"
    )

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


class RelatedEnterprise(TimestampMixin, db.Model):
    """An enterprise whose workers the union covers (关联企业)."""

    __tablename__ = "related_enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    uscc: Mapped[str | None] = mapped_column(String(18))
    address: Mapped[str | None] = mapped_column(String(200))

    org: Mapped[Org] = relationship(back_populates="enterprises")


class BankBranch(TimestampMixin, db.Model):
    """A partner-bank branch where cards are collected (领卡网点)."""

    __tablename__ = "bank_branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The union (usually a district) that manages this branch entry.
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class MemberNumberSequence(db.Model):
    """The next 7-digit sequence of member numbers in one district (会员编号序列)."""

    __tablename__ = "member_number_sequence"

    district_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class OrgMessage(db.Model):
    """消息提醒: a message to a union's staff (a deadline passed, a submission returned...)."""

    __tablename__ = "org_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    topic: Mapped[str] = mapped_column(String(30))  # e.g. 参保, 年审
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)  # never sent twice
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
