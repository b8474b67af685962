"""The OpenAPI document tells the truth: the staff console and the mini-program generate
their typed clients from /openapi.json, and /docs (Swagger UI) calls the API with it.

``Api`` is flask-smorest's, with the ``X-Pagination`` header documented as it is sent (a
JSON text, not an OpenAPI "simple" object) and the security schemes of every caller.
"""

from __future__ import annotations

import json

import flask_smorest
from flask_smorest.pagination import PaginationMetadataSchema as _SmorestPaginationMetadata
from flask_smorest.utils import resolve_schema_instance
from marshmallow import Schema, fields
from webargs.flaskparser import FlaskParser

from . import fastdump
from .webfields import Text

SECURITY_SCHEMES = {
    "staffToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "管理端令牌：POST /api/admin/v1/auth/login 返回的 token",
    },
    "memberToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "小程序/服务大厅令牌：POST /api/miniapp/v1/auth/login 返回的 token",
    },
    "bankSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Signature",
        "description": "合作银行签名：HMAC-SHA256，另须 X-Bank-Id、X-Timestamp、X-Nonce",
    },
    "wechatpaySignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Wechatpay-Signature",
        "description": "微信支付平台签名，另须 Wechatpay-Serial、Wechatpay-Timestamp、Wechatpay-Nonce",
    },
}


class PaginationMetadataSchema(_SmorestPaginationMetadata):
    total_capped = fields.Boolean(
        metadata={"description": "true：符合条件的记录超过计数上限，total 为上限而非精确总数"}
    )
    next_cursor = Text(
        metadata={"description": "下一页的翻页标记（按 id 排序的列表），作为 cursor 参数传回"}
    )
    total_display = Text(metadata={"description": "给人看的总数，如 “1,234” 或 “10,000+”"})


class CappedTotal(int):
    """A list total counted up to a cap: ``capped`` when more rows match than were counted."""

    capped = False

    @classmethod
    def of(cls, counted: int, cap: int) -> CappedTotal:
        total = cls(min(counted, cap))
        total.capped = counted > cap
        return total


class _Parser(FlaskParser):
    """webargs' parser, which builds a new schema object from a schema class on every request
    (a deep copy of every field); a schema holds no request state, so one object per class
    serves every request."""

    _made: dict = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            made = self._made.get(argmap)
            if made is None:
                made = self._made[argmap] = argmap()
            return made
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's, whose ``X-Pagination`` also says whether the total is capped (and
    carries the keyset cursor); its arguments and paging parameters are read by one schema
    object per class."""

    ARGUMENTS_PARSER = _Parser()
    PAGINATION_ARGUMENTS_PARSER = _Parser()

    def response(self, status_code, schema=None, **kwargs):
        """flask-smorest's, whose schema dumps through its compiled form (``fastdump``)."""
        if schema is not None and not isinstance(schema, str | dict):
            schema = fastdump.compile_into(resolve_schema_instance(schema))
        return super().response(status_code, schema, **kwargs)

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        # the fields of PaginationMetadataSchema, in its order, built without a dump
        total = int(item_count)
        meta = {"total": total}
        if total == 0:
            meta["total_pages"] = 0
        else:
            last = (total - 1) // page_size + 1
            meta.update(total_pages=last, first_page=1, last_page=last)
            if page <= last:
                meta["page"] = page
                if page > 1:
                    meta["previous_page"] = page - 1
                if page < last:
                    meta["next_page"] = page + 1
        capped = bool(getattr(item_count, "capped", False))
        meta["total_capped"] = capped
        meta["total_display"] = f"{total:,}" + ("+" if capped else "")
        return meta

    def _set_pagination_metadata(self, page_params, result, headers):
        meta = self._make_pagination_metadata(
            page_params.page, page_params.page_size, page_params.item_count
        )
        cursor = getattr(page_params, "next_cursor", None)
        if cursor:
            meta["next_cursor"] = cursor
        headers = {} if headers is None else headers
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(meta)
        return result, headers


PAGINATION_HEADER = {
    "description": "分页信息，JSON 文本，如 "
    '{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2,'
    ' "total_capped": false, "total_display": "42"}；符合条件的记录超过计数上限时 total 为上限，'
    'total_capped 为 true，total_display 如 "10,000+"',
    "required": True,
    "content": {"application/json": {"schema": PaginationMetadataSchema}},
}


class Api(flask_smorest.Api):
    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        for name, scheme in SECURITY_SCHEMES.items():
            self.spec.components.security_scheme(name, scheme)

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)
