"""The staff API (管理端接口), prefix ``/api/admin/v1``: routes and schemas only."""

from __future__ import annotations

from flask_smorest import Api

from unioncard.web import document_security

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
    check_url_map(api._app)
