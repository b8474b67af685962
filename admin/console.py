"""The staff console (管理控制台): the built Vue app of ``web/`` served under ``/console/``
(``unioncard.spa``: long-cached hashed assets, history fallback); ``/`` leads there."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect

from unioncard.spa import spa_blueprint

bp = Blueprint("console", __name__)


@bp.get("/")
def home():
    return redirect("/console/")


def register_console(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(spa_blueprint("console", "管理控制台", "CONSOLE_DIST"))
