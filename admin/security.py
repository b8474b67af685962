"""Staff authentication and permissions for every admin route: deny by default.

Each admin view declares ``@requires(permission)`` or ``@public``. The blueprint hook
authenticates the bearer token, loads the data scope and checks the permission before the
view runs; a view that declares neither is refused.
"""

from __future__ import annotations

from flask import current_app, g, request

from unioncard.accounts import services as accounts
from unioncard.accounts.models import StaffAccount
from unioncard.accounts.scope import Scope
from unioncard.cards.models import BatchRevocation, CardBatch
from unioncard.errors import NotAuthenticated, NotFound, PermissionDenied
from unioncard.imports.models import ImportJob
from unioncard.insurance.models import (
    Campaign,
    CoveragePlan,
    Enrolment,
    InsuranceBatch,
    Notice,
    Payout,
    SocialSecurityCheck,
    UnitSubmission,
)
from unioncard.members.models import Member
from unioncard.orgs.models import BankBranch, RelatedEnterprise
from unioncard.reviews.models import AnnualReview
from unioncard.selfservice.models import JoinApplication
from unioncard.web import client_ip, document_no_security

# Every path parameter of an admin URL names a row owned by an org; the hook checks that
# the row lies in the caller's subtree before the view (or its argument parsing) runs.
# ``check_url_map`` refuses to start with an admin URL whose parameter is not listed here.
PARAM_OWNERS = {
    "org_id": None,  # the org itself
    "member_id": Member,
    "account_id": StaffAccount,
    "branch_id": BankBranch,
    "job_id": ImportJob,
    "enterprise_id": RelatedEnterprise,
    "batch_id": CardBatch,
    "revocation_id": BatchRevocation,
    "review_id": AnnualReview,
    "plan_id": CoveragePlan,  # owned by the city: only 职保中心 and city accounts reach one
    "campaign_id": Campaign,
    "submission_id": UnitSubmission,
    "enrolment_id": Enrolment,
    "insurance_batch_id": InsuranceBatch,
    "notice_id": Notice,
    "payout_id": Payout,
    "check_id": SocialSecurityCheck,
    "application_id": JoinApplication,  # 入会申请, owned by the union applied to
}
ADMIN_PREFIX = "/api/admin/"
MAX_ID = 2**31 - 1

# Endpoints a staff member with an initial or reset password may still use.
PASSWORD_CHANGE_ALLOWED = {"admin_auth.change_password", "admin_auth.me", "admin_auth.logout"}


STAFF_SECURITY = [{"staffToken": []}]


def requires(permission: str, *, explain=None):
    """The permission a view needs. ``explain(scope, **view_args)``, when given, may name the
    domain rule behind a refusal (a unit cannot review itself) instead of the bare 403."""

    def mark(view):
        view._permission = permission
        view._explain = explain
        return view

    return mark


def public(view):
    view._public = True
    document_no_security(view)
    return view


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("请先登录（缺少 Authorization: Bearer 令牌）")
    return token.strip()


def authenticate_request() -> None:
    """before_request of every admin blueprint."""
    req = request._get_current_object()  # one context lookup, not one a use
    view = current_app.view_functions.get(req.endpoint)
    if view is None or getattr(view, "_public", False):
        return
    permission = getattr(view, "_permission", None)
    account = accounts.authenticate(bearer_token())
    g.account = account
    if account.must_change_password and req.endpoint not in PASSWORD_CHANGE_ALLOWED:
        raise PermissionDenied("首次登录或密码被重置后，请先修改密码")
    if permission == "self":
        return
    scope = Scope.for_account(account)
    if permission is None or not scope.can(permission):
        explain = getattr(view, "_explain", None)
        raise PermissionDenied(explain(scope, **req.view_args) if explain else None)
    for name, value in (req.view_args or {}).items():
        if value > MAX_ID:
            raise NotFound()
        model = PARAM_OWNERS[name]
        if model is None:
            scope.get_org(value)
        else:
            scope.get(model, value, message=NotFound.default_message)
    g.scope = scope


def check_url_map(app) -> None:
    """Fail at start-up if an admin URL has a parameter the scope check does not know."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(ADMIN_PREFIX):
            unknown = set(rule.arguments) - set(PARAM_OWNERS)
            if unknown:
                raise RuntimeError(f"{rule.rule}: no data-scope owner for {sorted(unknown)}")


def current_scope() -> Scope:
    scope = g.get("scope")
    if scope is None:  # a view reached without the hook: never widen, refuse
        raise PermissionDenied()
    return scope


def ip() -> str | None:
    return client_ip()
