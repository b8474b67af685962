"""领卡网点 for the mini-program: active branches, optionally of one district."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..orgs.models import BankBranch, Org, within


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
