"""The staff API (管理端接口), prefix ``/api/admin/v1``: routes and schemas only."""

from __future__ import annotations

from flask_smorest import Api

from unioncard.web import document_security, read_only

from . import (
    accounts,
    audit,
    auth,
    cards,
    exports,
    imports,
    insurance,
    insurance_batches,
    insurance_review,
    joins,
    members,
    orgs,
    reviews,
    workbench,
)
from .security import STAFF_SECURITY, authenticate_request, check_url_map

BLUEPRINTS = (
    auth.blp,
    orgs.blp,
    accounts.blp,
    members.blp,
    imports.blp,
    cards.blp,
    reviews.blp,
    audit.blp,
    joins.blp,
    insurance.blp,
    insurance_review.blp,
    insurance_batches.blp,
    exports.blp,
    workbench.blp,
)
# deny by default: the hook is installed once, at import, so that every app registering the
# blueprints (create_app may run more than once in a process) gets them unchanged
for _blp in BLUEPRINTS:
    _blp.before_request(authenticate_request)
    document_security(_blp, STAFF_SECURITY)


def register(api: Api) -> None:
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    _lists_read_only(api._app)
    check_url_map(api._app)


def _lists_read_only(app) -> None:
    """Every paginated staff list only reads: its GET runs in autocommit (no BEGIN and COMMIT
    round trips, half of a small list's), and any write it attempted would be refused."""
    for endpoint, view in app.view_functions.items():
        if endpoint.split(".")[0] in LISTING and "pagination" in getattr(view, "_apidoc", {}):
            read_only(view, staff=True)


LISTING = {blp.name for blp in BLUEPRINTS}
