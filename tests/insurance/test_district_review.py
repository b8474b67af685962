"""集中参保审核 through the API: the pending list and its filters, 添加至待提交 / 移除 / 退回,
the 待提交 totals per channel and payer, scope (another district, the unit itself, a
secondary union), bad input refused with nothing written, and one query per page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select

from tests.insurance.b_helpers import INSURANCE, REVIEW, enrolments_of, login, reload, submit_for
from tests.statements import executed
from unioncard.accounts.scope import Scope
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.insurance import review
from unioncard.insurance.models import (
    EnrolmentKind,
    EnrolmentStatus,
    SubmissionStatus,
    UnitSubmission,
)
from unioncard.orgs.models import OrgMessage


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {row["id"] for row in response.get_json()}


def _three(iw):
    a1 = submit_for(iw, "gA1")  # 4 card members, under the secondary union sA
    a1s = submit_for(iw, "gA1", iw.uncarded["gA1"], kind=EnrolmentKind.SOCIAL)
    a2 = submit_for(iw, "gA2")  # 3 card members, directly under dA
    b1 = submit_for(iw, "gB1")
    return a1, a1s, a2, b1


def test_pending_list_and_its_filters(client, insurance_world):
    iw = insurance_world
    a1, a1s, a2, b1 = _three(iw)
    h = login(client, "da_reviewer")
    assert _ids(client.get(f"{REVIEW}/pending", headers=h)) == {a1.id, a1s.id, a2.id}
    body = client.get(f"{REVIEW}/pending", headers=h).get_json()
    row = next(r for r in body if r["id"] == a1.id)
    assert row["org_name"] == iw.org("gA1").name
    assert row["parent_name"] == iw.org("sA").name
    assert row["plan_name"] == "A类会员专享基本保障"
    assert (row["member_count"], row["fee_total"], row["kind"]) == (4, "104.00", "会员卡参保")

    def q(**params):
        return _ids(client.get(f"{REVIEW}/pending", headers=h, query_string=params))

    assert q(org_name="甲二") == {a2.id}
    assert q(uscc=iw.org("gA2").uscc) == {a2.id}
    assert q(parent_id=iw.org("sA").id) == {a1.id, a1s.id}
    assert q(kind="社保卡参保") == {a1s.id}
    assert q(kind="有卡无保") == set()  # an instant channel is not in this list
    assert q(plan_id=iw.plan.id) == {a1.id, a1s.id, a2.id}
    assert q(plan_id=iw.plan.id + 99) == set()
    today = date(2026, 11, 22)
    # submitted_at is "now" (UTC) in Shanghai: yesterday..tomorrow holds them, a past range not
    assert q(submitted_from="2026-01-01", submitted_to="2026-01-31") == set()
    assert len(q(submitted_from=str(date(today.year, 1, 1)))) == 3
    # the other district's reviewer sees only its own
    hb = login(client, "db_reviewer")
    assert _ids(client.get(f"{REVIEW}/pending", headers=hb)) == {b1.id}
    # a filter on a union outside the scope is refused, not silently empty
    r = client.get(f"{REVIEW}/pending", headers=hb, query_string={"parent_id": iw.org("sA").id})
    assert r.status_code == 404


def test_accept_many_then_totals_per_channel_and_payer(client, insurance_world):
    iw = insurance_world
    split = {"grassroots_share": Decimal("2.50")}
    a1 = submit_for(iw, "gA1")
    a1s = submit_for(iw, "gA1", iw.uncarded["gA1"], kind=EnrolmentKind.SOCIAL, **split)
    a2 = submit_for(iw, "gA2")
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [a1.id, a1s.id, a2.id]})
    assert r.status_code == 200, r.get_json()
    assert {row["status"] for row in r.get_json()} == {"待提交职保中心"}
    assert all(e.status == EnrolmentStatus.ACCEPTED for e in enrolments_of(a1.id))
    assert _ids(client.get(f"{REVIEW}/pending", headers=h)) == set()
    assert _ids(client.get(f"{REVIEW}/accepted", headers=h)) == {a1.id, a1s.id, a2.id}
    totals = client.get(f"{REVIEW}/accepted/totals", headers=h).get_json()
    # 4 + 3 card members at 26 (13 city + 13 district), 2 social at 28.50 (… + 2.50 unit)
    assert totals == {
        "submission_count": 3,
        "member_count": 9,
        "card_count": 7,
        "social_count": 2,
        "fee_total": "239.00",
        "city_total": "117.00",
        "district_total": "117.00",
        "grassroots_total": "5.00",
    }
    assert Decimal(totals["fee_total"]) == Decimal(totals["city_total"]) + Decimal(
        totals["district_total"]
    ) + Decimal(totals["grassroots_total"])
    # 移除: back to the pending list, enrolments too
    r = client.post(f"{REVIEW}/remove", headers=h, json={"submission_ids": [a2.id]})
    assert r.status_code == 200
    assert reload(a2).status == SubmissionStatus.SUBMITTED
    assert {e.status for e in enrolments_of(a2.id)} == {EnrolmentStatus.SUBMITTED}
    totals = client.get(f"{REVIEW}/accepted/totals", headers=h).get_json()
    assert (totals["member_count"], totals["card_count"], totals["fee_total"]) == (6, 4, "161.00")
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.action == "insurance.accept")
    )


def test_return_with_reason_reaches_the_unit_which_may_submit_again(client, insurance_world):
    iw = insurance_world
    a1 = submit_for(iw, "gA1")
    h = login(client, "da_reviewer")
    # no reason: refused, nothing changed
    r = client.post(f"{REVIEW}/submissions/{a1.id}/return", headers=h, json={"reason": "   "})
    assert r.status_code == 422 and "原因" in r.get_json()["message"]
    assert reload(a1).status == SubmissionStatus.SUBMITTED
    assert db.session.scalar(select(func.count()).select_from(OrgMessage)) == 0

    reason = "参保人员名单中有已离职人员，请核对后重新提交"
    r = client.post(f"{REVIEW}/submissions/{a1.id}/return", headers=h, json={"reason": reason})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["return_reason"]) == ("已退回", reason)
    enrolments = enrolments_of(a1.id)
    assert {e.status for e in enrolments} == {EnrolmentStatus.RETURNED}
    assert {e.holding_member_id for e in enrolments} == {None}  # places released

    # the unit reads the reason: in its messages and on the submission
    hu = login(client, "ga1_operator")
    msgs = client.get(f"{INSURANCE}/messages", headers=hu).get_json()
    assert len(msgs) == 1 and reason in msgs[0]["body"] and msgs[0]["read_at"] is None
    sub = client.get(f"{REVIEW}/submissions/{a1.id}", headers=hu).get_json()
    assert sub["return_reason"] == reason and sub["status"] == "已退回"
    r = client.post(f"{INSURANCE}/messages/read", headers=hu, json={})
    assert r.get_json() == {"marked": 1, "unread": 0}
    # other units see nothing of it
    assert (
        client.get(f"{INSURANCE}/messages", headers=login(client, "ga2_operator")).get_json() == []
    )

    # returning twice is a conflict (a returned submission is closed)
    r = client.post(f"{REVIEW}/submissions/{a1.id}/return", headers=h, json={"reason": "再次"})
    assert r.status_code == 409

    # the unit submits the same members again (the unique place per year is free)
    again = submit_for(iw, "gA1")
    assert reload(again).status == SubmissionStatus.SUBMITTED
    assert _ids(client.get(f"{REVIEW}/pending", headers=h)) == {again.id}


def test_resubmission_through_the_units_own_service(client, insurance_world):
    """After 退回, helper A's 提交至区局审核 accepts the same members again."""
    from unioncard.accounts.models import StaffAccount
    from unioncard.insurance import collective

    iw = insurance_world
    op = Scope.for_account(
        db.session.scalar(select(StaffAccount).filter_by(username="ga1_operator"))
    )
    ids = [m.id for m in iw.members["gA1"]]
    first = collective.submit(
        op, None, kind="会员卡参保", plan_id=iw.plan.id, year=2027, member_ids=ids
    )
    db.session.commit()
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/submissions/{first.id}/return", headers=h, json={"reason": "重报"})
    assert r.status_code == 200
    again = collective.submit(
        op, None, kind="会员卡参保", plan_id=iw.plan.id, year=2027, member_ids=ids
    )
    db.session.commit()
    assert again.member_count == len(ids)
    assert _ids(client.get(f"{REVIEW}/pending", headers=h)) == {again.id}


def test_scope_and_who_decides(client, insurance_world):
    iw = insurance_world
    a1 = submit_for(iw, "gA1")
    b1 = submit_for(iw, "gB1")
    # dB's reviewer: cannot see or decide dA's submission
    hb = login(client, "db_reviewer")
    assert client.get(f"{REVIEW}/submissions/{a1.id}", headers=hb).status_code == 404
    r = client.post(f"{REVIEW}/accept", headers=hb, json={"submission_ids": [a1.id]})
    assert r.status_code == 404
    r = client.post(f"{REVIEW}/submissions/{a1.id}/return", headers=hb, json={"reason": "x"})
    assert r.status_code == 404
    # the unit cannot review itself (its admin holds insurance.review)
    hu = login(client, "ga1_admin")
    r = client.post(f"{REVIEW}/accept", headers=hu, json={"submission_ids": [a1.id]})
    assert r.status_code == 403 and "本单位" in r.get_json()["message"]
    # the secondary union above the unit sees only its subtree; gA2 (directly under dA) is
    # not its to decide (404: outside its scope)
    hs = login(client, "sa_reviewer")
    assert _ids(client.get(f"{REVIEW}/pending", headers=hs)) == {a1.id}
    a2 = submit_for(iw, "gA2")
    r = client.post(f"{REVIEW}/accept", headers=hs, json={"submission_ids": [a2.id]})
    assert r.status_code == 404
    assert reload(a2).status == SubmissionStatus.SUBMITTED
    # an operator has no review permission at all
    r = client.get(f"{REVIEW}/pending", headers=login(client, "da_operator"))
    assert r.status_code == 403
    assert reload(a1).status == SubmissionStatus.SUBMITTED
    assert reload(b1).status == SubmissionStatus.SUBMITTED


def test_a_secondary_union_reviews_its_units_but_the_district_submits(client, insurance_world):
    """Seed 002 §4.3: 二级工会或区局(产业)工会 review 集中参保; only the district submits it."""
    iw = insurance_world
    a1 = submit_for(iw, "gA1")  # under the secondary union sA
    hs = login(client, "sa_reviewer")
    r = client.post(f"{REVIEW}/submissions/{a1.id}/return", headers=hs, json={"reason": "人数有误"})
    assert r.status_code == 200, r.get_json()
    assert reload(a1).status == SubmissionStatus.RETURNED
    unit = client.get("/api/admin/v1/insurance/messages", headers=login(client, "ga1_operator"))
    assert "已被测试甲区园区工会联合会退回" in unit.get_json()[0]["body"]
    again = submit_for(iw, "gA1")
    r = client.post(f"{REVIEW}/accept", headers=hs, json={"submission_ids": [again.id]})
    assert r.status_code == 200, r.get_json()
    assert reload(again).status == SubmissionStatus.ACCEPTED
    # the district sees it in its 待提交 list; the secondary union cannot submit to 职保中心
    accepted = client.get(f"{REVIEW}/accepted", headers=login(client, "da_reviewer"))
    assert _ids(accepted) == {again.id}
    body = {"handler_name": "张三", "handler_phone": "13812345678", "handler_email": "a@b.cn"}
    r = client.post(f"{REVIEW}/submit", headers=hs, json=body)
    assert r.status_code in (403, 422) and "区局" in r.get_json()["message"]
    assert reload(again).status == SubmissionStatus.ACCEPTED


def test_bad_input_changes_nothing(client, insurance_world):
    iw = insurance_world
    a1, a1s, a2, _b1 = _three(iw)
    h = login(client, "da_reviewer")
    assert (
        client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": []}).status_code == 422
    )
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": ["x"]})
    assert r.status_code == 422 and r.get_json()["errors"]
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [a1.id, 999999]})
    assert r.status_code == 404 and "999999" in r.get_json()["message"]
    # one of the set already accepted: the whole call is refused, the others stay pending
    assert (
        client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [a2.id]}).status_code
        == 200
    )
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [a1.id, a2.id, a1s.id]})
    assert r.status_code == 409 and "待提交职保中心" in r.get_json()["message"]
    assert reload(a1).status == SubmissionStatus.SUBMITTED
    assert reload(a1s).status == SubmissionStatus.SUBMITTED
    assert {e.status for e in enrolments_of(a1.id)} == {EnrolmentStatus.SUBMITTED}
    # remove what is not accepted
    r = client.post(f"{REVIEW}/remove", headers=h, json={"submission_ids": [a1.id]})
    assert r.status_code == 409
    # odd query values
    r = client.get(f"{REVIEW}/pending", headers=h, query_string={"submitted_from": "2026-13-01"})
    assert r.status_code == 422
    r = client.get(f"{REVIEW}/pending", headers=h, query_string={"kind": "xx"})
    assert r.status_code == 422


def _bulk_submissions(iw, n: int) -> None:
    """``n`` pending submissions of dA's two units (no enrolments: the list does not need them)."""
    rows = [
        {
            "org_id": iw.org("gA1" if i % 2 else "gA2").id,
            "district_id": iw.org("dA").id,
            "year": 2027,
            "plan_id": iw.plan.id,
            "kind": EnrolmentKind.CARD if i % 3 else EnrolmentKind.SOCIAL,
            "status": SubmissionStatus.SUBMITTED if i % 4 else SubmissionStatus.ACCEPTED,
            "member_count": 10,
            "fee_total": Decimal("260.00"),
            "city_total": Decimal("130.00"),
            "district_total": Decimal("130.00"),
            "grassroots_total": Decimal("0.00"),
        }
        for i in range(n)
    ]
    db.session.execute(insert(UnitSubmission), rows)
    db.session.commit()


def test_pending_page_is_one_query_and_fast(client, insurance_world):
    """2,000 submissions: every page of the 待审批 list is one SELECT, p95 well under 100 ms."""
    iw = insurance_world
    _bulk_submissions(iw, 2000)
    from unioncard.accounts.models import StaffAccount

    scope = Scope.for_account(
        db.session.scalar(select(StaffAccount).filter_by(username="da_reviewer"))
    )
    review.pending_page(scope, {}, page=1, page_size=20)  # warm-up (org row, plan cache)
    # every page is one statement (no N+1); its speed is the insurance benchmark's to measure
    with executed() as statements:
        for page in range(1, 76):  # 1,500 pending rows / 20
            statements.clear()
            rows = review.pending_page(scope, {"year": 2027}, page=page, page_size=20)
            assert len(rows) == 20
            assert len([s for s, _ in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    # and through the API: the page plus its total
    h = login(client, "da_reviewer")
    r = client.get(f"{REVIEW}/pending", headers=h, query_string={"page": 3, "page_size": 50})
    assert r.status_code == 200 and len(r.get_json()) == 50
    assert '"total": 1500' in r.headers["X-Pagination"]
