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
TODAY = date.today()
YEAR = TODAY.year + 1  # next year's collective enrolment, as in the demo


def _fresh_database() -> str:
    import psycopg

    from bench.servers import PG_ADMIN

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
    from unioncard.demo.insurance import seed_campaign, seed_plans
    from unioncard.demo.people import make_people
    from unioncard.demo.seed import add_account, add_members, add_org
    from unioncard.extensions import db
    from unioncard.insurance.models import EnrolmentKind, SubmissionStatus, UnitSubmission
    from unioncard.members.models import Member
    from unioncard.models_base import utcnow
    from unioncard.orgs.models import OrgLevel

    rng = random.Random(5)
    city = add_org("上海市总工会", OrgLevel.CITY, rng=rng)
    district = add_org("上海市杨浦区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="007")
    union = add_org("上海建明信息科技有限公司工会委员会", OrgLevel.GRASSROOTS, district,
                    rng=rng, unit_type="60")  # fmt: skip
    plans = seed_plans(city, TODAY)
    db.session.add(seed_campaign(city, TODAY))  # windows open around today
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


def _login(client, username: str) -> dict:
    r = client.post(
        "/api/admin/v1/auth/login", json={"username": username, "password": "Bench1234"}
    )
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def _get_ms(client, url: str, headers: dict, repeat: int = 5) -> float:
    def call():
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])

    return _timed(call, repeat)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--units", type=int, default=2_000)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from unioncard import create_app
    from unioncard.extensions import db
    from unioncard.insurance.models import Enrolment, UnitSubmission
    from unioncard.members.models import Member

    url = _fresh_database()
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TASK_MODE": "eager"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        _city, district, union, plan, _op, _rv = seed(args.members, args.units)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        union_id, district_id, plan_id = union.id, district.id, plan.id
        db.session.remove()

        def plain_count(model, column, value):
            def count():
                with app.app_context():
                    db.session.scalar(
                        select(func.count()).select_from(model).where(column == value)
                    )

            return count

        client = app.test_client()
        operator = _login(client, "bench_op")
        reviewer = _login(client, "bench_rv")
        base = f"/api/admin/v1/insurance/unions/{union_id}/collective"
        members_count = _timed(plain_count(Member, Member.org_id, union_id))
        stats = _get_ms(client, f"{base}/stats?year={YEAR}", operator)
        eligible = _get_ms(client, f"{base}/eligible?year={YEAR}&page=1&page_size=20", operator)

        body = {"kind": "会员卡参保", "plan_id": plan_id, "year": YEAR}
        t0 = time.perf_counter()
        r = client.post(f"{base}/submit", json=body, headers=operator)
        submit_s = time.perf_counter() - t0
        assert r.status_code in (200, 201), r.get_json()
        submission_id = r.get_json()["id"]
        enrolled = db.session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.submission_id == submission_id)
        )
        assert enrolled == args.members, enrolled
        enrol_count = _timed(plain_count(Enrolment, Enrolment.submission_id, submission_id))

        review_count = _timed(plain_count(UnitSubmission, UnitSubmission.district_id, district_id))
        pages = []
        for page in range(1, (args.units + 19) // 20 + 1):
            t = time.perf_counter()
            r = client.get(
                f"/api/admin/v1/insurance/review/pending?year={YEAR}&page={page}&page_size=20",
                headers=reviewer,
            )
            pages.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and r.get_json(), (page, r.status_code)
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
        "review_pages": len(pages),
        "review_page_p50_ms": round(statistics.median(pages), 2),
        "review_page_p95_ms": round(p95, 2),
        "review_p95_ratio": round(p95 / review_count, 1),
    }
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    return result


if __name__ == "__main__":
    main()
