"""Schemas and helpers shared by the admin routes."""

from __future__ import annotations

import base64
import hashlib
import json

from flask import current_app, request
from flask_smorest import Page
from marshmallow import fields, validate
from sqlalchemy import func, select

from unioncard.errors import ValidationFailed
from unioncard.extensions import db
from unioncard.openapi import CappedTotal
from unioncard.webfields import BaseSchema, Masked, Text  # noqa: F401 (Masked: for admin/*)


class SelectPage(Page):
    """flask-smorest pagination over an SQLAlchemy 2 ``select``; the total is exact up to
    ``LIST_COUNT_CAP`` and capped beyond (``total_capped`` in ``X-Pagination``): an exact
    count(*) over a city's million members would cost most of the page's time."""

    @property
    def items(self):
        size = self.page_params.page_size
        key = _single_key(self.collection)
        cursor = request.args.get("cursor")
        if cursor and key is not None:  # keyset: as fast on page 10,000 as on page 1
            column, descending = key
            last = _read_cursor(cursor)
            stmt = self.collection.where(column < last if descending else column > last)
            rows = list(db.session.scalars(stmt.limit(size)))
        else:
            stmt = self.collection.offset(self.page_params.first_item).limit(size)
            rows = list(db.session.scalars(stmt))
        last = getattr(rows[-1], key[0].key, None) if key is not None and rows else None
        if isinstance(last, int) and len(rows) == size:
            self.page_params.next_cursor = _make_cursor(last)
        return rows

    @property
    def item_count(self):
        cap = current_app.config["LIST_COUNT_CAP"]
        capped = self.collection.order_by(None).limit(cap + 1).subquery()
        return CappedTotal.of(db.session.scalar(select(func.count()).select_from(capped)), cap)


class RowPage(SelectPage):
    """Pagination over a multi-entity ``select``; each row is turned into a dict by ``present``."""

    present = staticmethod(lambda row: row)

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return [self.present(row) for row in db.session.execute(stmt).all()]


def _single_key(stmt):
    """(column, descending) when the list is ordered by one unique integer key (its id)."""
    clauses = stmt._order_by_clauses
    if len(clauses) != 1:
        return None
    clause = clauses[0]
    descending = getattr(clause, "modifier", None) is not None and clause.modifier.__name__ == (
        "desc_op"
    )
    column = clause.element if hasattr(clause, "modifier") and clause.modifier else clause
    if getattr(column, "primary_key", False) and column.key == "id":
        return column, descending
    return None


def _filters_key() -> str:
    """The list's filters (every query argument but the paging ones), as a short digest."""
    args = sorted(
        (k, v)
        for k, v in request.args.items(multi=True)
        if k not in {"page", "page_size", "cursor"}
    )
    return hashlib.sha256(json.dumps([request.path, args]).encode()).hexdigest()[:12]


def _make_cursor(last_id: int) -> str:
    raw = json.dumps({"after": last_id, "filters": _filters_key()}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        last, filters = data["after"], data["filters"]
        if not isinstance(last, int) or isinstance(last, bool):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed(
            "翻页标记无效，请从第一页重新查询", {"cursor": ["翻页标记无效"]}
        ) from None
    if filters != _filters_key():
        raise ValidationFailed(
            "翻页标记与当前筛选条件不符，请从第一页重新查询",
            {"cursor": ["筛选条件已改变，翻页标记不能再用"]},
        )
    return last


CURSOR_DOC = (
    "翻页标记：上一页应答 X-Pagination 中的 next_cursor。给出时按标记接着上一页往后取（不看 page），"
    "深页也一样快；筛选条件须与取得标记时相同"
)


def row_page(present):
    return type("PresentedPage", (RowPage,), {"present": staticmethod(present)})


def Id(**kwargs) -> fields.Integer:
    """A row id: a positive 32-bit integer."""
    return fields.Integer(validate=validate.Range(1, 2**31 - 1), **kwargs)


class Message(BaseSchema):
    message = Text()


class Base(BaseSchema):
    """Base of the admin schemas."""
