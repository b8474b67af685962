"""Places for the mini-program and the service hall: districts (区局) to pick from, and
active 领卡网点, optionally of one district."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..orgs.models import BankBranch, Org, OrgLevel, within


def branches(f: dict):
    stmt = select(BankBranch).where(BankBranch.active.is_(True))
    if f.get("district"):
        district = db.session.scalar(select(Org).where(Org.district_code == f["district"]))
        if district is None:
            return stmt.where(BankBranch.id.is_(None))
        stmt = stmt.where(
            BankBranch.org_id.in_(select(Org.id).where(within(Org.path, district.path)))
        )
    return stmt.order_by(BankBranch.code)


def districts():
    """Active districts (区局) with a district code, in code order: what a member picks first
    when looking for a union or a branch."""
    return (
        select(Org)
        .where(Org.level == OrgLevel.DISTRICT, Org.active.is_(True), Org.district_code.is_not(None))
        .order_by(Org.district_code)
    )
