"""The OpenAPI document tells the truth: the staff console and the mini-program generate
their typed clients from /openapi.json, and /docs (Swagger UI) calls the API with it.

``Api`` is flask-smorest's, with the ``X-Pagination`` header documented as it is sent (a
JSON text, not an OpenAPI "simple" object) and the security schemes of every caller.
"""

from __future__ import annotations

import flask_smorest
from flask_smorest.pagination import PaginationMetadataSchema

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

PAGINATION_HEADER = {
    "description": "分页信息，JSON 文本，如 "
    '{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2}',
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
