"""The partner bank: the outbound client (the sandbox lives in ``.sandbox``, never imported
by the core)."""

from .client import (
    BankBadResponse,
    BankClient,
    BankError,
    BankRejected,
    BankRevocationRefused,
    BankUnavailable,
)

__all__ = [
    "BankBadResponse",
    "BankClient",
    "BankError",
    "BankRejected",
    "BankRevocationRefused",
    "BankUnavailable",
]
