"""Fixtures shared by the insurance tests (see helpers.py)."""

from tests.insurance.helpers import insurance_world  # noqa: F401
