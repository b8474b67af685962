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


def allocate(district_code: str, count: int) -> list[str]:
    """Reserve ``count`` consecutive numbers in the session's transaction; concurrent callers
    never get the same ones (the sequence row stays locked until the transaction ends), and
    a rollback gives them back."""
    if count <= 0:
        return []
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
    return _numbers(district_code, end - count, end)


def _numbers(district_code: str, start: int, end: int) -> list[str]:
    if end - 1 > 9_999_999:
        raise ValidationFailed(f"区局 {district_code} 的会员编号已用完，请联系系统管理员")
    return [f"{district_code}{n:07d}" for n in range(start, end)]


class Reservation:
    """Numbers for one bulk import taken on a connection of their own, each block committed
    at once, for when the import's connection is busy streaming (PostgreSQL ``COPY``): the
    sequence row is locked for milliseconds, not for the whole import.

    If the import then fails, ``give_back`` returns the numbers unless someone took numbers
    after them (then they stay a gap: never given twice). Never used on SQLite, where a
    second connection would wait for the import's own write lock: there the import takes its
    numbers with ``allocate``, in its own transaction.
    """

    def __init__(self, district_code: str):
        self.district_code = district_code
        self.start: int | None = None  # the first number of the last unbroken run taken
        self.end: int | None = None

    def take(self, connection, count: int) -> list[str]:
        if count <= 0:
            return []
        seq = MemberNumberSequence.__table__
        stmt = (
            update(seq)
            .where(seq.c.district_code == self.district_code)
            .values(next_value=seq.c.next_value + count)
            .returning(seq.c.next_value)
        )
        end = connection.execute(stmt).scalar_one_or_none()
        if end is None:
            connection.execute(seq.insert().values(district_code=self.district_code, next_value=1))
            end = connection.execute(stmt).scalar_one()
        connection.commit()
        start = end - count
        if self.end != start:  # someone took numbers in between: the earlier run stays a gap
            self.start = start
        self.end = end
        return _numbers(self.district_code, start, end)

    def give_back(self) -> bool:
        """After the import rolled back: return the last run if it is still the newest."""
        if self.start is None:
            return False
        seq = MemberNumberSequence.__table__
        with db.engine.begin() as connection:
            done = connection.execute(
                update(seq)
                .where(seq.c.district_code == self.district_code, seq.c.next_value == self.end)
                .values(next_value=self.start)
            ).rowcount
        self.start = self.end = None
        return bool(done)
