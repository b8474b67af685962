"""The X-Pagination header the project's Blueprint builds by hand is the one flask-smorest's
schema dump built (same keys, same order, same values), plus the capped-total fields."""

from __future__ import annotations

import flask_smorest
from hypothesis import given
from hypothesis import strategies as st

from unioncard.openapi import Blueprint, CappedTotal, _Parser


@given(
    page=st.integers(1, 2_000),
    page_size=st.integers(1, 100),
    counted=st.integers(0, 20_000),
    cap=st.sampled_from([5, 100, 10_000]),
)
def test_header_matches_flask_smorest(page, page_size, counted, cap):
    total = CappedTotal.of(counted, cap)
    ours = Blueprint._make_pagination_metadata(page, page_size, total)
    theirs = flask_smorest.Blueprint._make_pagination_metadata(page, page_size, int(total))
    assert list(ours.items())[: len(theirs)] == list(theirs.items())
    assert list(ours)[len(theirs) :] == ["total_capped", "total_display"]
    assert ours["total_capped"] is (counted > cap)
    assert ours["total_display"] == f"{min(counted, cap):,}" + ("+" if counted > cap else "")


def test_one_schema_object_per_class():
    from marshmallow import Schema, fields

    class Query(Schema):
        year = fields.Integer()

    parser = _Parser()
    first = parser._get_schema(Query, None)
    assert isinstance(first, Query) and parser._get_schema(Query, None) is first
    instance = Query()
    assert parser._get_schema(instance, None) is instance
