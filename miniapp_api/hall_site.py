"""The members' service hall (服务大厅, official-account H5): the built Vue + Vant app of
``web/hall`` served under ``/hall/`` (``unioncard.spa``), on this package's API."""

from __future__ import annotations

from flask import Flask

from unioncard.spa import spa_blueprint


def register_hall(app: Flask) -> None:
    app.register_blueprint(spa_blueprint("hall", "服务大厅", "HALL_DIST"))
