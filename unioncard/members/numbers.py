"""Member numbers (会员编号): 3-digit district code + 7-digit sequence, given on activation."""

from __future__ import annotations

from sqlalchemy import select, update

from ..errors import ValidationFailed
from ..extensions import db
from ..orgs.models import MemberNumberSequence, Org, OrgLevel


def district_code_of(org: Org) -> str:
    """The district code of the district (区局) above or at ``org``."""
    district = db.session.scalar(
        select(Org).where(Org.id.in_(org.ancestor_ids()), Org.level == OrgLevel.DISTRICT)
    )
    if district is None or not district.district_code:
        raise ValidationFailed(
            f"{org.name}的上级区局未设置区局代码，无法生成会员编号，请联系上级工会"
        )
    return district.district_code


def allocate(district_code: str, count: int, *, connection=None) -> list[str]:
    """Reserve ``count`` consecutive numbers; concurrent callers never get the same ones.

    With ``connection`` (a separate connection, e.g. during an import's COPY) the
    reservation commits at once: an import that fails later leaves a gap, never a clash.
    """
    if count <= 0:
        return []
    if connection is not None:
        return _allocate_apart(connection, district_code, count)
    stmt = (
        update(MemberNumberSequence)
        .where(MemberNumberSequence.district_code == district_code)
        .values(next_value=MemberNumberSequence.next_value + count)
        .returning(MemberNumberSequence.next_value)
    )
    end = db.session.execute(stmt).scalar_one_or_none()
    if end is None:
        db.session.add(MemberNumberSequence(district_code=district_code, next_value=1))
        db.session.flush()
        end = db.session.execute(stmt).scalar_one()
    start = end - count
    if end - 1 > 9_999_999:
        raise ValidationFailed(f"区局 {district_code} 的会员编号已用完，请联系系统管理员")
    return [f"{district_code}{n:07d}" for n in range(start, end)]


def _allocate_apart(connection, district_code: str, count: int) -> list[str]:
    seq = MemberNumberSequence.__table__
    stmt = (
        update(seq)
        .where(seq.c.district_code == district_code)
        .values(next_value=seq.c.next_value + count)
        .returning(seq.c.next_value)
    )
    end = connection.execute(stmt).scalar_one_or_none()
    if end is None:
        connection.execute(seq.insert().values(district_code=district_code, next_value=1))
        end = connection.execute(stmt).scalar_one()
    connection.commit()
    if end - 1 > 9_999_999:
        raise ValidationFailed(f"区局 {district_code} 的会员编号已用完，请联系系统管理员")
    return [f"{district_code}{n:07d}" for n in range(end - count, end)]
