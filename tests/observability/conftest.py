"""Fixtures of the observability tests."""

from __future__ import annotations

import io
import logging

import pytest

from unioncard.observability import logs


@pytest.fixture()
def captured():
    """The root logger's output as JSON lines, through the same handler production uses."""
    stream = io.StringIO()
    handler = logs.make_handler("json", stream)
    handler._unioncard = False  # configure() must not remove it mid-test
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
