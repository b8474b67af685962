"""Schemas and helpers shared by the admin routes."""

from __future__ import annotations

from flask_smorest import Page
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from unioncard.extensions import db
from unioncard.security.masking import mask_value


class SelectPage(Page):
    """flask-smorest pagination over an SQLAlchemy 2 ``select``."""

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return list(db.session.scalars(stmt))

    @property
    def item_count(self):
        count = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.scalar(count)


class RowPage(SelectPage):
    """Pagination over a multi-entity ``select``; each row is turned into a dict by ``present``."""

    present = staticmethod(lambda row: row)

    @property
    def items(self):
        stmt = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return [self.present(row) for row in db.session.execute(stmt).all()]


def row_page(present):
    return type("PresentedPage", (RowPage,), {"present": staticmethod(present)})


class Masked(fields.String):
    """A personal number shown masked (contracts.md): ID 3411********6755, mobile 138****1234."""

    def __init__(self, kind: str, **kwargs):
        super().__init__(dump_only=True, **kwargs)
        self.kind = kind

    def _serialize(self, value, attr, obj, **kwargs):
        return mask_value(self.kind, value) if value is not None else None


def Id(**kwargs) -> fields.Integer:
    """A row id: a positive 32-bit integer."""
    return fields.Integer(validate=validate.Range(1, 2**31 - 1), **kwargs)


class Message(Schema):
    message = fields.String()


class Base(Schema):
    class Meta:
        ordered = True
