"""Schemas and helpers shared by the admin routes."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Page
from marshmallow import fields, validate
from sqlalchemy import func, select

from unioncard.extensions import db
from unioncard.openapi import CappedTotal
from unioncard.webfields import BaseSchema, Masked, Text  # noqa: F401 (Masked: for admin/*)


class SelectPage(Page):
    """flask-smorest pagination over an SQLAlchemy 2 ``select``; the total is exact up to
    ``LIST_COUNT_CAP`` and capped beyond (``total_capped`` in ``X-Pagination``): an exact
    count(*) over a city's million members would cost most of the page's time."""

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return list(db.session.scalars(stmt))

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


def row_page(present):
    return type("PresentedPage", (RowPage,), {"present": staticmethod(present)})


def Id(**kwargs) -> fields.Integer:
    """A row id: a positive 32-bit integer."""
    return fields.Integer(validate=validate.Range(1, 2**31 - 1), **kwargs)


class Message(BaseSchema):
    message = Text()


class Base(BaseSchema):
    """Base of the admin schemas."""
