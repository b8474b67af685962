"""Schemas and helpers shared by the admin routes."""

from __future__ import annotations

import base64
import collections
import functools
import hashlib
import json

from flask import current_app, request
from flask_smorest import Page
from marshmallow import fields, validate
from sqlalchemy import func, literal_column, select

from unioncard.errors import ValidationFailed
from unioncard.extensions import db
from unioncard.openapi import CappedTotal
from unioncard.webfields import BaseSchema, Masked, Text  # noqa: F401 (Masked: for admin/*)


class SelectPage(Page):
    """flask-smorest pagination over an SQLAlchemy 2 ``select``; the total is exact up to
    ``LIST_COUNT_CAP`` and capped beyond (``total_capped`` in ``X-Pagination``): an exact
    count(*) over a city's million members would cost most of the page's time.

    The page and its total come back in one statement (the capped count is an uncorrelated
    scalar subquery, evaluated once); only a page past the end asks for the total on its own."""

    def __init__(self, collection, page_params):
        # flask-smorest counts here, before the page; the total is read with the page instead
        self.collection = collection
        self.page_params = page_params

    keyset = True  # a cursor pages on when the list is ordered by its id alone

    whole_rows = False  # the item is the row's first entity

    def present_row(self, row):
        """One list item from one row of the list's own select."""
        return row[0]

    @property
    def items(self):
        if not hasattr(self.collection, "add_columns"):  # a UNION: counted on its own
            return self._items_then_total()
        size = self.page_params.page_size
        key = _single_key(self.collection) if self.keyset else None
        cursor = request.args.get("cursor") if key is not None else None
        if cursor:  # keyset: as fast on page 10,000 as on page 1
            column, descending = key
            last = _read_cursor(cursor)
            stmt = self.collection.where(column < last if descending else column > last)
            stmt = stmt.limit(size)
        else:
            stmt = self.collection.offset(self.page_params.first_item).limit(size)
        total = self._capped_count().scalar_subquery().correlate(None).label("page_total")
        rows = db.session.execute(stmt.add_columns(total)).all()
        if rows:
            counted = rows[0][-1]
        elif self.page_params.first_item == 0 and not cursor:
            counted = 0  # an empty first page: nothing matches
        else:  # past the end
            counted = db.session.scalar(self._capped_count())
        self.page_params.item_count = CappedTotal.of(counted, current_app.config["LIST_COUNT_CAP"])
        if self.whole_rows:
            rows = [_without_total(row) for row in rows]
        items = [self.present_row(row) for row in rows]
        last = getattr(items[-1], key[0].key, None) if key is not None and items else None
        if isinstance(last, int) and len(items) == size:
            self.page_params.next_cursor = _make_cursor(last)
        return items

    def _items_then_total(self):
        stmt = self.collection.offset(self.page_params.first_item)
        rows = db.session.execute(stmt.limit(self.page_params.page_size)).all()
        counted = db.session.scalar(self._capped_count())
        self.page_params.item_count = CappedTotal.of(counted, current_app.config["LIST_COUNT_CAP"])
        return [self.present_row(row) for row in rows]

    def _capped_count(self):
        cap = current_app.config["LIST_COUNT_CAP"]
        stmt = self.collection.order_by(None)
        if not stmt._distinct:  # counted from an index alone where one serves the filters
            stmt = stmt.with_only_columns(_ONE, maintain_column_froms=True)
        return select(_COUNT).select_from(stmt.limit(cap + 1).subquery())


# the count's own elements, built once: SQL elements are immutable, shared by every statement
_ONE = literal_column("1")
_COUNT = func.count()


class RowPage(SelectPage):
    """Pagination over a multi-entity ``select``; each row is turned into a dict by ``present``."""

    present = staticmethod(lambda row: row)
    keyset = False
    whole_rows = True

    def present_row(self, row):
        return self.present(row)


@functools.lru_cache(maxsize=256)
def _row_type(fields: tuple[str, ...]):
    return collections.namedtuple("PageRow", fields, rename=True)


def _without_total(row):
    """The row as the list's own select gives it (by position and by name), without the total
    the page added."""
    return _row_type(row._fields[:-1])._make(row[:-1])


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
