"""业务工作台 (the console's home): the figures of seed 002's home page, the work waiting in
the caller's scope, and the charts' series (入会人数统计图, card status funnel, this year's
enrolment progress per district or unit). Read-only, scoped, a handful of counting queries;
every day is a day in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select

from .accounts.scope import Scope
from .cards import lifecycle
from .cards.models import (
    BatchRevocation,
    BatchStatus,
    CardBatch,
    CardStatus,
    Channel,
    MemberCard,
    RevocationStatus,
    Verification,
)
from .errors import ValidationFailed
from .extensions import db
from .imports.models import ImportJob, ImportStatus
from .insurance.models import Campaign, Enrolment, EnrolmentStatus
from .members.idcard import today_in_china
from .members.models import Member, MemberStatus
from .orgs.models import Org, OrgLevel, RelatedEnterprise
from .reviews import reminders
from .reviews.models import AnnualReview, ReviewStatus
from .selfservice.models import JoinApplication, JoinStatus

# Members who still belong to their union (the ones a review, a card or cover is for).
CURRENT = (MemberStatus.ACTIVE, MemberStatus.UNREVIEWED, MemberStatus.TRANSFERRING)
# A card's way from the pending list to the member's hand, in order (办卡失败 is off the way).
CARD_WAY = (
    CardStatus.PENDING,
    CardStatus.IN_PROGRESS,
    CardStatus.ISSUED,
    CardStatus.PRODUCED,
    CardStatus.DELIVERED,
    CardStatus.HANDED_OUT,
    CardStatus.ACTIVATED,
)
# Enrolments that count as enrolled this year; 已完成 ones are also counted as covered.
ENROLLED = (
    EnrolmentStatus.SUBMITTED,
    EnrolmentStatus.ACCEPTED,
    EnrolmentStatus.SENT,
    EnrolmentStatus.COMPLETED,
)
PERIODS = ("today", "week", "month")
MAX_RANGE_DAYS = 366


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def member_counts(scope: Scope) -> tuple[int, int]:
    """(会员数: the members who still belong, 未审核 among them) in one pass over the subtree's
    members (未审核 is one of the statuses counted)."""
    current, unreviewed = db.session.execute(
        select(func.count(), func.count().filter(Member.status == MemberStatus.UNREVIEWED)).where(
            scope.owned_by(Member.org_id), Member.status.in_(CURRENT)
        )
    ).one()
    return current or 0, unreviewed or 0


def figures(scope: Scope, members: int) -> dict:
    """会员数 (``member_counts``), 基层工会组织数, 覆盖企业数 in the caller's subtree."""
    grassroots = _count(
        select(Org.id).where(
            scope.org_clause(), Org.level == OrgLevel.GRASSROOTS, Org.active.is_(True)
        )
    )
    enterprises = _count(
        select(RelatedEnterprise.id).where(scope.owned_by(RelatedEnterprise.org_id))
    )
    return {"members": members, "grassroots_unions": grassroots, "enterprises": enterprises}


@dataclass(frozen=True)
class WorkItem:
    key: str
    label: str
    count: int
    unit: str = "条"
    detail: str | None = None


def work(scope: Scope, unreviewed: int) -> list[WorkItem]:
    """The work waiting in the caller's scope, only the kinds this account can act on
    (``unreviewed``: the 未审核 members, from ``member_counts``)."""
    items: list[WorkItem] = []
    below = Org.id != scope.org_id
    if scope.can("member.import"):
        jobs = select(ImportJob.id).where(
            scope.owned_by(ImportJob.org_id), ImportJob.status == ImportStatus.INVALID
        )
        items.append(WorkItem("import_errors", "导入有错误待修改", _count(jobs), "个"))
    if scope.can("member.write"):
        pending, unready, failed = _card_counts(scope)
        items += [
            WorkItem("members_unreviewed", "未审核的会员", unreviewed, "人"),
            WorkItem(
                "pending_members",
                "待办会员",
                pending,
                "人",
                f"校验未通过或信息未完善：{unready} 人",
            ),
            WorkItem(
                "batches_waiting",
                "等待银行反馈的办卡批次",
                _count(
                    select(CardBatch.id).where(
                        scope.owned_by(CardBatch.org_id),
                        CardBatch.status == BatchStatus.SENT,
                    )
                ),
                "个",
            ),
            WorkItem("card_failures", "办卡失败待处理", failed, "人"),
            WorkItem("cards_overdue", "超期未发放的卡片", _count(lifecycle.overdue(scope)), "张"),
            WorkItem(
                "joins_to_review",
                "待审核的入会申请",
                _count(
                    select(JoinApplication.id).where(
                        scope.owned_by(JoinApplication.org_id),
                        JoinApplication.status == JoinStatus.PENDING,
                    )
                ),
                "条",
            ),
        ]
    if scope.can("member.review"):
        below_ids = select(Org.id).where(scope.org_clause(), below).scalar_subquery()
        items += [
            WorkItem(
                "revocations_to_review",
                "待审核的撤销办卡批次申请",
                _count(
                    select(BatchRevocation.id).where(
                        BatchRevocation.org_id.in_(below_ids),
                        BatchRevocation.status == RevocationStatus.REVIEWING,
                    )
                ),
                "条",
            ),
            WorkItem(
                "reviews_to_review",
                "待审核的年审",
                _count(
                    select(AnnualReview.id).where(
                        AnnualReview.org_id.in_(below_ids),
                        AnnualReview.status == ReviewStatus.SUBMITTED,
                    )
                ),
                "个",
            ),
            WorkItem(
                "reviews_not_done",
                "本年度尚未完成年审的基层工会",
                reminders.pending_unit_count(scope),
                "个",
            ),
        ]
    return items


def _card_counts(scope: Scope) -> tuple[int, int, int]:
    """(待办, of them not ready to submit, 办卡失败) in one pass over those cards. Not ready: the
    normal channel's failed checks, the special channel's incomplete information (the pending
    list's two summaries)."""
    pending = MemberCard.status == CardStatus.PENDING
    unready = and_(
        pending,
        or_(
            and_(
                MemberCard.channel == Channel.NORMAL,
                MemberCard.verification == Verification.FAILED,
            ),
            and_(MemberCard.channel == Channel.SPECIAL, MemberCard.info_complete.is_(False)),
        ),
    )
    counts = db.session.execute(
        select(
            func.count().filter(pending),
            func.count().filter(unready),
            func.count().filter(MemberCard.status == CardStatus.FAILED),
        ).where(
            scope.owned_by(MemberCard.org_id),
            MemberCard.status.in_((CardStatus.PENDING, CardStatus.FAILED)),
        )
    ).one()
    return tuple(n or 0 for n in counts)


def card_funnel(scope: Scope) -> list[dict]:
    """How many cards reached each step of the way (a card further on has passed the earlier
    steps), then 办卡失败 apart."""
    by_status = dict(
        db.session.execute(
            select(MemberCard.status, func.count())
            .where(scope.owned_by(MemberCard.org_id))
            .group_by(MemberCard.status)
        ).all()
    )
    steps = []
    for i, status in enumerate(CARD_WAY):
        reached = sum(by_status.get(s, 0) for s in CARD_WAY[i:])
        steps.append({"status": status.value, "count": reached})
    steps.append({"status": CardStatus.FAILED.value, "count": by_status.get(CardStatus.FAILED, 0)})
    return steps


def coverage_year(today: date | None = None) -> int:
    """The year whose enrolment is under way: the latest campaign's year up to next year
    (the campaign runs in the autumn for the next year), else this year."""
    today = today or today_in_china()
    year = db.session.scalar(select(func.max(Campaign.year)).where(Campaign.year <= today.year + 1))
    return year or today.year


def _per_org_path(scope: Scope, org_id_column, counted, *where, by=()):
    """(org path, *by, counted) per org of the subtree over the rows of ``org_id_column``'s table.

    The city counts its whole table per org first (a member count from the (org_id, status)
    index alone) and joins those rows to the orgs: joining each of 1,000,000 members to its org
    first took twice as long. Below the city the subtree's orgs (a few thousand at most) are
    joined to their rows, which measured faster there than looking up their ids first."""
    if scope.org_level == OrgLevel.CITY:
        per_org = (
            select(org_id_column.label("org_id"), *by, counted.label("n"))
            .where(org_id_column.is_not(None), *where)
            .group_by(org_id_column, *by)
            .subquery()
        )
        return select(Org.path, *(per_org.c[c.key] for c in by), per_org.c.n).join(
            per_org, per_org.c.org_id == Org.id
        )
    return (
        select(Org.path, *by, counted)
        .join_from(Org, org_id_column.table, org_id_column == Org.id)
        .where(scope.org_clause(), *where)
        .group_by(Org.path, *by)
    )


def enrolment_progress(scope: Scope, year: int | None = None) -> dict:
    """This year's enrolment per district (the city), per union directly below (a district or
    a secondary union), or for the union itself (a grassroots union): members, enrolled, covered."""
    year = year or coverage_year()
    own = db.session.get(Org, scope.org_id)
    parts = list(
        db.session.execute(
            select(Org.id, Org.name, Org.path)
            .where(Org.parent_id == own.id, Org.active.is_(True))
            .order_by(Org.path)
        ).all()
    )
    if not parts:
        parts = [(own.id, own.name, own.path)]
    rows = {
        oid: {"org_id": oid, "org_name": name, "members": 0, "enrolled": 0, "covered": 0}
        for oid, name, _ in parts
    }
    alone = parts[0][0] == own.id  # no union below: everything counted is the union's own

    def part_of(path: str) -> int | None:
        """The union directly below the caller's that ``path`` lies in (its id follows the
        caller's own path), if it is one of the parts."""
        if alone:
            return own.id
        child = path[len(own.path) :].partition("/")[0]
        return int(child) if child and int(child) in rows else None

    member_counts = _per_org_path(scope, Member.org_id, func.count(), Member.status.in_(CURRENT))
    for path, n in db.session.execute(member_counts):
        if (oid := part_of(path)) is not None:
            rows[oid]["members"] += n
    enrolled = _per_org_path(
        scope,
        Enrolment.org_id,
        func.count(func.distinct(Enrolment.member_id)),
        Enrolment.year == year,
        Enrolment.status.in_(ENROLLED),
        by=(Enrolment.status,),
    )
    for path, status, n in db.session.execute(enrolled):
        if (oid := part_of(path)) is not None:
            rows[oid]["enrolled"] += n
            if status == EnrolmentStatus.COMPLETED:
                rows[oid]["covered"] += n
    return {"year": year, "rows": list(rows.values())}


def overview(scope: Scope) -> dict:
    """The home page's first answer: the figures and the work waiting. The charts' series are
    asked apart (``charts``), when the clerk shows them: on a city of 1,000,000 members the
    enrolment progress alone counts every member per district (about half a second)."""
    org = db.session.get(Org, scope.org_id)
    members, unreviewed = member_counts(scope)
    return {
        "org_name": org.name,
        "level": org.level.value,
        "today": today_in_china(),
        "figures": figures(scope, members),
        "work": work(scope, unreviewed),
    }


def charts(scope: Scope) -> dict:
    """The card status funnel and this year's enrolment progress."""
    return {"card_funnel": card_funnel(scope), "enrolment": enrolment_progress(scope)}


def period_range(period: str | None, start: date | None, end: date | None) -> tuple[date, date]:
    """今日 / 本周 (from Monday) / 本月 up to today, or the clerk's own range."""
    today = today_in_china()
    if start or end:
        if not (start and end):
            raise ValidationFailed(
                "请同时选择开始日期和结束日期", {"from" if not start else "to": ["请选择日期"]}
            )
        if start > end:
            raise ValidationFailed("开始日期不能晚于结束日期", {"from": ["开始日期晚于结束日期"]})
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ValidationFailed(
                f"日期范围最多{MAX_RANGE_DAYS}天，请缩小范围", {"to": ["日期范围过大"]}
            )
        return start, end
    if period == "today":
        return today, today
    if period == "month":
        return today.replace(day=1), today
    return today - timedelta(days=today.weekday()), today


def joins_series(
    scope: Scope, period: str | None = None, start: date | None = None, end: date | None = None
) -> dict:
    """入会人数统计图: per day, 新增 (members whose 入会时间 is that day) and 原有 (members who
    joined before it, or whose 入会时间 is unknown), for members who still belong."""
    start, end = period_range(period, start, end)
    # one pass over the members: each one's day when it lies in the range, else none (joined
    # before it, or 入会时间 unknown); those who joined after the range are left out (a city:
    # two passes over 1,000,000 members before)
    day = case((Member.join_date >= start, Member.join_date), else_=None).label("day")
    days_of = (
        select(day)
        .where(
            scope.owned_by(Member.org_id),
            Member.status.in_(CURRENT),
            or_(Member.join_date <= end, Member.join_date.is_(None)),
        )
        .subquery()
    )
    per_day = dict(
        db.session.execute(select(days_of.c.day, func.count()).group_by(days_of.c.day)).all()
    )
    before = per_day.pop(None, 0)
    days = []
    existing = before
    day = start
    while day <= end:
        new = per_day.get(day, 0)
        days.append({"day": day, "new": new, "existing": existing})
        existing += new
        day += timedelta(days=1)
    return {"start": start, "end": end, "total": sum(d["new"] for d in days), "days": days}
