"""The members' mini-program API (小程序接口), prefix ``/api/miniapp/v1``.

Its routes (WeChat login, binding, joining, card and insurance) arrive with their own issue;
the contract is ``shared/spec/contracts.md``.
"""

from __future__ import annotations

from flask_smorest import Api

BLUEPRINTS: tuple = ()


def register(api: Api) -> None:
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
