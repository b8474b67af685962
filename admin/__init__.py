"""The staff API (管理端接口), prefix ``/api/admin/v1``: routes and schemas only."""

from __future__ import annotations

from flask_smorest import Api

from unioncard.web import document_security

from . import (
    accounts,
    audit,
    auth,
    cards,
    imports,
    insurance,
    insurance_batches,
    insurance_review,
    joins,
    members,
    orgs,
    reviews,
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
)


def register(api: Api) -> None:
    for blp in BLUEPRINTS:
        blp.before_request(authenticate_request)
        document_security(blp, STAFF_SECURITY)
        api.register_blueprint(blp)
    check_url_map(api._app)
