"""Data scope for every admin endpoint, generated from the URL map.

The caller is the admin of district dA. For every admin URL and method, its path
parameters are filled with rows owned by: the caller's child org (allowed), a sibling
district's union and the parent city (both 404), and an account with no org (403).
A new admin endpoint is covered as soon as it is registered.
"""

from __future__ import annotations

import pytest

from tests.world import build_world, login
from unioncard.accounts.models import StaffAccount
from unioncard.cards.models import (
    BatchRevocation,
    BatchStatus,
    CardBatch,
    Channel,
    RevocationStatus,
)
from unioncard.extensions import db
from unioncard.imports.models import ImportJob, ImportStatus
from unioncard.members.models import Member
from unioncard.orgs.models import BankBranch, RelatedEnterprise
from unioncard.reviews.models import AnnualReview, ReviewStatus
from unioncard.storage.services import XLSX, store_file

PLACES = {"child": "gA1", "sibling": "gB1", "parent": "city"}


def admin_endpoints(app):
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/admin/"):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "_public", False) or getattr(view, "_permission", None) == "self":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule))
    return out


def _resources(world, org):
    """One row of each kind owned by ``org`` (made directly, whatever the org's level)."""
    member = Member(
        org_id=org.id,
        name="范围测试",
        id_type="护照",
        id_number=f"E{org.id:08d}",
        id_number_bidx=f"scope-{org.id}",
        country="美国",
        gender="男",
        birth_date=__import__("datetime").date(1990, 1, 1),
        source="企业内",
        status="正常",
        mobile=None,
    )
    db.session.add(member)
    stored = store_file(
        b"x", filename="a.xlsx", purpose="member_import", content_type=XLSX, org_id=org.id
    )
    job = ImportJob(
        org_id=org.id,
        status=ImportStatus.INVALID,
        filename="a.xlsx",
        file_id=stored.id,
        annotated_file_id=stored.id,
    )
    db.session.add(job)
    db.session.flush()
    batch = CardBatch(
        batch_no=f"CB-SCOPE-{org.id}",
        org_id=org.id,
        channel=Channel.NORMAL,
        status=BatchStatus.SENT,
        branch_code="B",
        branch_name="网点",
        branch_address="地址",
        total=0,
    )
    db.session.add(batch)
    db.session.flush()
    revocation = BatchRevocation(
        batch_id=batch.id,
        org_id=org.id,
        applicant_name="申请人",
        applicant_phone="13800000000",
        status=RevocationStatus.REVIEWING,
    )
    db.session.add(revocation)
    db.session.flush()
    account = db.session.query(StaffAccount).filter_by(org_id=org.id, role="operator").one()
    # submitted by the unit, so that the caller (an upper union) may decide it
    review = AnnualReview(
        org_id=org.id, year=2026, status=ReviewStatus.SUBMITTED, submitted_by=account.id
    )
    db.session.add(review)
    db.session.flush()
    return {
        "org_id": org.id,
        "member_id": member.id,
        "account_id": account.id,
        "branch_id": db.session.query(BankBranch).filter_by(org_id=org.id).one().id,
        "job_id": job.id,
        "enterprise_id": db.session.query(RelatedEnterprise).filter_by(org_id=org.id).one().id,
        "review_id": review.id,
        "batch_id": batch.id,
        "revocation_id": revocation.id,
        "application_id": _join_application(org).id,
        **_insurance_rows(org, member, stored),
    }


def _insurance_rows(org, member, stored):
    """Insurance rows owned by ``org``: plan, campaign, submission (reviewed by the org's
    district), enrolment, batch with its notice, payout, social-security check."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from unioncard.insurance.models import (
        BatchSource,
        Campaign,
        CheckStatus,
        CoveragePlan,
        Enrolment,
        EnrolmentKind,
        EnrolmentStatus,
        InsuranceBatch,
        InsuranceBatchStatus,
        Notice,
        NoticeKind,
        Payout,
        SocialSecurityCheck,
        SubmissionStatus,
        UnitSubmission,
    )
    from unioncard.orgs.models import Org, OrgLevel

    db.session.flush()
    district = next(
        (
            o
            for o in (db.session.get(Org, i) for i in org.ancestor_ids())
            if o.level == OrgLevel.DISTRICT
        ),
        org,
    )
    money = {
        "city_share": Decimal("13"),
        "district_share": Decimal("13"),
        "grassroots_share": Decimal("0"),
    }
    plan = CoveragePlan(
        org_id=org.id,
        year=2027,
        name=f"范围测试保障{org.id}",
        fee=Decimal("26"),
        individual_share=Decimal("0"),
        valid_from=datetime(2027, 1, 1, tzinfo=UTC),
        valid_to=datetime(2027, 12, 31, tzinfo=UTC),
        **money,
    )
    day = date(2026, 12, 1)
    campaign = Campaign(
        org_id=org.id,
        year=2100 + org.id,
        split_from=day,
        split_to=day,
        unit_from=day,
        unit_to=day,
        payment_deadline=day,
        district_from=day,
        district_to=day,
    )
    db.session.add_all([plan, campaign])
    db.session.flush()
    batch = InsuranceBatch(
        batch_no=f"BX-SCOPE-{org.id}",
        org_id=org.id,
        year=2027,
        source=BatchSource.COLLECTIVE,
        status=InsuranceBatchStatus.AWAITING_PAYMENT,
        payment_deadline=date(2099, 12, 31),
    )
    submission = UnitSubmission(
        org_id=org.id,
        district_id=district.id,
        year=2027,
        plan_id=plan.id,
        kind=EnrolmentKind.CARD,
        status=SubmissionStatus.SUBMITTED,
        member_count=1,
    )
    db.session.add_all([batch, submission])
    db.session.flush()
    enrolment = Enrolment(
        member_id=member.id,
        holding_member_id=member.id,
        org_id=org.id,
        year=2027,
        plan_id=plan.id,
        kind=EnrolmentKind.CARD,
        status=EnrolmentStatus.SUBMITTED,
        start_date=date(2027, 1, 1),
        end_date=date(2027, 12, 31),
        fee=Decimal("26"),
        submission_id=submission.id,
        **money,
    )
    notice = Notice(
        org_id=org.id,
        kind=NoticeKind.DISTRICT,
        year=2027,
        batch_id=batch.id,
        file_id=stored.id,
        figures={},
    )
    payout = Payout(
        reference=f"GF-SCOPE-{org.id}",
        member_id=member.id,
        org_id=org.id,
        year=2027,
        item="住院",
        amount=Decimal("100"),
        paid_on=date(2027, 3, 1),
    )
    check = SocialSecurityCheck(org_id=org.id, status=CheckStatus.WAITING, expected_by=day)
    db.session.add_all([enrolment, notice, payout, check])
    db.session.flush()
    return {
        "plan_id": plan.id,
        "campaign_id": campaign.id,
        "submission_id": submission.id,
        "enrolment_id": enrolment.id,
        "insurance_batch_id": batch.id,
        "notice_id": notice.id,
        "payout_id": payout.id,
        "check_id": check.id,
    }


def _join_application(org):
    """入会申请 to ``org`` (a WeChat user's, pending)."""
    from unioncard.selfservice.models import JoinApplication, MemberUser

    user = MemberUser(openid=f"scope-{org.id}", name="范围申请人", token_version=0)
    db.session.add(user)
    db.session.flush()
    application = JoinApplication(
        user_id=user.id, open_user_id=user.id, org_id=org.id, source="灵活就业", status="待审核"
    )
    db.session.add(application)
    db.session.flush()
    return application


@pytest.fixture()
def matrix(client, ctx):
    world = build_world(members_per_union=1)
    rows = {place: _resources(world, world.org(key)) for place, key in PLACES.items()}
    db.session.commit()
    return world, rows


def _caller(app, rule) -> str:
    """dA's admin, or dA's account of the role that holds the endpoint's permission (e.g.
    职保中心's insurance.confirm): the matrix tests the data scope, not the roles."""
    from unioncard.accounts.models import Role
    from unioncard.accounts.scope import PERMISSIONS

    permission = getattr(app.view_functions[rule.endpoint], "_permission", None)
    for role in (Role.ADMIN, Role.CENTER, Role.REVIEWER, Role.OPERATOR):
        if permission in PERMISSIONS[role]:
            return f"da_{role.value}".lower()
    return "da_admin"


class _Logins(dict):
    def __init__(self, client):
        super().__init__()
        self.client = client

    def __missing__(self, username):
        self[username] = login(self.client, username)
        return self[username]


def _url(rule, values):
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


def _call(client, method, url, headers):
    return client.open(url, method=method, headers=headers, json={})


def test_every_admin_endpoint_is_in_the_matrix(app):
    endpoints = admin_endpoints(app)
    assert len(endpoints) >= 30
    for _method, rule in endpoints:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "_permission", None), f"{rule.rule} declares no permission"


def test_no_org_account_is_refused_everywhere(client, matrix, app):
    _world, rows = matrix
    headers = login(client, "noorg_admin")
    for method, rule in admin_endpoints(app):
        r = _call(client, method, _url(rule, rows["child"]), headers)
        assert r.status_code == 403, (method, rule.rule, r.status_code)
        assert r.get_json()["message"]


@pytest.mark.parametrize("place", ["sibling", "parent"])
def test_rows_outside_the_subtree_are_not_found(client, matrix, app, place):
    _world, rows = matrix
    logins = _Logins(client)
    checked = 0
    for method, rule in admin_endpoints(app):
        if not rule.arguments:
            continue
        headers = logins[_caller(app, rule)]
        r = _call(client, method, _url(rule, rows[place]), headers)
        assert r.status_code == 404, (method, rule.rule, r.status_code, r.get_json())
        checked += 1
    assert checked >= 15


def test_rows_inside_the_subtree_are_reached(client, matrix, app):
    _world, rows = matrix
    logins = _Logins(client)
    for method, rule in admin_endpoints(app):
        headers = logins[_caller(app, rule)]
        r = _call(client, method, _url(rule, rows["child"]), headers)
        assert r.status_code not in (401, 403, 404), (
            method,
            rule.rule,
            r.status_code,
            r.get_json(),
        )
        assert r.status_code < 500, (method, rule.rule, r.get_data(as_text=True)[:300])


def test_lists_hold_only_the_subtree(client, matrix, app):
    world, _rows = matrix
    logins = _Logins(client)
    allowed = {world.org(k).id for k in ("dA", "sA", "gA1", "gA2")}
    lists = [
        rule
        for method, rule in admin_endpoints(app)
        if method == "GET" and not rule.arguments and rule.rule != "/api/admin/v1/imports/template"
    ]
    assert lists
    paths = client.get("/openapi.json").get_json()["paths"]
    for rule in lists:
        # the whole list where it is paginated (an unknown query parameter is refused)
        params = {p["name"] for p in paths[rule.rule]["get"].get("parameters", [])}
        query = "?page_size=100" if "page_size" in params else ""
        r = client.get(rule.rule + query, headers=logins[_caller(app, rule)])
        assert r.status_code == 200, (rule.rule, r.get_json())
        if not r.is_json:  # a file to download (a template), not a list
            continue
        body = r.get_json()
        for item in body if isinstance(body, list) else [body]:
            if "org_id" in item and rule.rule != "/api/admin/v1/branches":
                assert item["org_id"] in allowed, (rule.rule, item)


def test_query_filters_cannot_reach_outside(client, matrix, app):
    world, _rows = matrix
    headers = login(client, "da_admin")
    sibling = world.org("gB1").id
    for path in ("/api/admin/v1/members", "/api/admin/v1/accounts", "/api/admin/v1/imports"):
        r = client.get(f"{path}?org_id={sibling}", headers=headers)
        assert r.status_code == 404, (path, r.status_code)
