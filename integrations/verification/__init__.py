"""The population and social-security registers: the outbound clients (the sandbox lives in
``.sandbox``, never imported by the core)."""

from .client import (
    PopulationRegisterClient,
    RegisterBadResponse,
    RegisterError,
    RegisterRejected,
    RegisterUnavailable,
    SocialSecurityRegisterClient,
)

__all__ = [
    "PopulationRegisterClient",
    "RegisterBadResponse",
    "RegisterError",
    "RegisterRejected",
    "RegisterUnavailable",
    "SocialSecurityRegisterClient",
]
