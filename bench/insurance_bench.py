"""Benchmark: collective insurance at scale, on PostgreSQL.

World: one grassroots union of 50,000 active members holding cards, and a district with
2,000 units that each submitted their collective enrolment (区局确认中).

Timed, each beside a plain indexed ``count(*)`` over the same table in the same run:

1. the statistics line of the 50,000-member union (会员总人数 … 待确认人数);
2. the first page of its card-channel eligible list (with the total);
3. the submission of all 50,000 (提交至区局审核: the submission, 50,000 enrolments, the
   plan fixed for the year, the notice PDF), then commit;
4. the district's review list (待审批参保列表), page after page at 20 rows, p50/p95 over
   every page.

Targets (issue 4): the submission under 5 s; review list pages under 100 ms at p95.

    python -m bench.insurance_bench                  # 50,000 members, 2,000 units
    python -m bench.insurance_bench --members 5000 --units 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "unioncard_bench_insurance"
YEAR = 2027
TODAY = date(2026, 11, 23)  # inside the campaign's unit window below


def _fresh_database() -> str:
    import psycopg

    from bench.cards_bench import PG_ADMIN

    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        c.execute(f"CREATE DATABASE {DB_NAME}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _timed(fn, repeat: int = 5) -> float:
    """Best of ``repeat`` runs, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 2)


def seed(members: int, units: int):
    """The world above; returns (city, district, union, units, account ids)."""
    from sqlalchemy import insert, select

    from unioncard.accounts.models import Role
    from unioncard.bulk import copy_rows
    from unioncard.cards.models import CardStatus, MemberCard
    from unioncard.demo.insurance import seed_plans
    from unioncard.demo.people import make_people
    from unioncard.demo.seed import add_account, add_members, add_org
    from unioncard.extensions import db
    from unioncard.insurance.models import Campaign, EnrolmentKind, SubmissionStatus, UnitSubmission
    from unioncard.members.models import Member
    from unioncard.models_base import utcnow
    from unioncard.orgs.models import OrgLevel

    rng = random.Random(5)
    city = add_org("上海市总工会", OrgLevel.CITY, rng=rng)
    district = add_org("上海市杨浦区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="007")
    union = add_org("上海建明信息科技有限公司工会委员会", OrgLevel.GRASSROOTS, district,
                    rng=rng, unit_type="60")  # fmt: skip
    plans = seed_plans(city, TODAY)
    db.session.add(
        Campaign(org_id=city.id, year=YEAR, split_from=date(2026, 10, 26),
                 split_to=date(2026, 10, 30), unit_from=date(2026, 10, 26),
                 unit_to=date(2026, 12, 25), payment_deadline=date(2026, 12, 25),
                 district_from=date(2026, 11, 2), district_to=date(2026, 12, 31))
    )  # fmt: skip
    operator = add_account("bench_op", "基准经办", union, Role.OPERATOR, "Bench1234")
    reviewer = add_account("bench_rv", "基准审核", district, Role.REVIEWER, "Bench1234")
    add_members(union, make_people(members, seed=9, today=TODAY))
    now = utcnow()
    ids = db.session.scalars(select(Member.id).where(Member.org_id == union.id)).all()
    copy_rows(
        MemberCard.__table__,
        ("member_id", "org_id", "status", "channel", "verification", "verification_reasons",
         "info_complete", "individual", "created_at", "updated_at"),
        [(i, union.id, CardStatus.HANDED_OUT.value, "普通", "已通过", "[]", False, False, now, now)
         for i in ids],
    )  # fmt: skip
    unit_orgs = [
        add_org(f"杨浦区第{n:04d}号企业工会委员会", OrgLevel.GRASSROOTS, district, rng=rng,
                unit_type="60")
        for n in range(units)
    ]  # fmt: skip
    db.session.execute(
        insert(UnitSubmission),
        [
            {"org_id": o.id, "district_id": district.id, "year": YEAR,
             "plan_id": plans[YEAR].id, "kind": EnrolmentKind.CARD if n % 3 else EnrolmentKind.SOCIAL,
             "status": SubmissionStatus.SUBMITTED, "member_count": 10 + n % 40,
             "fee_total": 26 * (10 + n % 40), "city_total": 13 * (10 + n % 40),
             "district_total": 13 * (10 + n % 40), "grassroots_total": 0,
             "submitted_by_name": "经办", "submitted_at": now}
            for n, o in enumerate(unit_orgs)
        ],
    )  # fmt: skip
    db.session.commit()
    return city, district, union, plans[YEAR], operator, reviewer


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--units", type=int, default=2_000)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from unioncard import create_app
    from unioncard.accounts.scope import Scope
    from unioncard.extensions import db
    from unioncard.insurance import collective, review
    from unioncard.insurance.models import Enrolment, UnitSubmission
    from unioncard.members.models import Member

    url = _fresh_database()
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TASK_MODE": "eager"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        _city, district, union, plan, operator, reviewer = seed(args.members, args.units)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        op_scope = Scope.for_account(operator)
        rv_scope = Scope.for_account(reviewer)

        def plain_count(model, column, value):
            return lambda: db.session.scalar(
                select(func.count()).select_from(model).where(column == value)
            )

        members_count = _timed(plain_count(Member, Member.org_id, union.id))
        stats = _timed(lambda: collective.statistics(op_scope, union.id, YEAR, today=TODAY))
        eligible = _timed(
            lambda: collective.eligible_page(op_scope, union.id, YEAR, page=1, page_size=20,
                                             today=TODAY)
        )  # fmt: skip

        t0 = time.perf_counter()
        submission = collective.submit(op_scope, union.id, YEAR, plan.id, kind="会员卡参保",
                                       today=TODAY)  # fmt: skip
        db.session.commit()
        submit_s = time.perf_counter() - t0
        enrolled = db.session.scalar(
            select(func.count()).select_from(Enrolment).where(Enrolment.submission_id == submission.id)
        )  # fmt: skip
        assert enrolled == args.members, enrolled
        enrol_count = _timed(plain_count(Enrolment, Enrolment.submission_id, submission.id))

        review_count = _timed(plain_count(UnitSubmission, UnitSubmission.district_id, district.id))
        pages = []
        page_total = (args.units + 19) // 20
        for page in range(1, page_total + 1):
            t = time.perf_counter()
            rows = review.pending_page(rv_scope, {"year": YEAR}, page=page, page_size=20)
            pages.append((time.perf_counter() - t) * 1000)
            assert rows, page
        pages.sort()
        p95 = pages[max(0, int(len(pages) * 0.95) - 1)]

    result = {
        "members": args.members,
        "units": args.units,
        "plain_count_members_ms": members_count,
        "statistics_ms": stats,
        "statistics_ratio": round(stats / members_count, 1),
        "eligible_first_page_ms": eligible,
        "eligible_ratio": round(eligible / members_count, 1),
        "submit_s": round(submit_s, 2),
        "plain_count_enrolments_ms": enrol_count,
        "plain_count_submissions_ms": review_count,
        "review_page_p50_ms": round(statistics.median(pages), 2),
        "review_page_p95_ms": round(p95, 2),
        "review_p95_ratio": round(p95 / review_count, 1),
    }
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    return result


if __name__ == "__main__":
    main()
