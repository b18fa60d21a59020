"""The verified caller, its roles, and the ways a request is refused (401, 403, 503)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("member", "analyst", "operator")
"""member: acts as themself; analyst: reads org and team insights; operator: runs the system."""


@dataclass(frozen=True)
class Caller:
    """The verified caller: the token's subject, its verified email, team and roles."""

    subject: str
    email: str | None
    team: str | None
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles


class NotAuthenticated(Exception):
    """401: no bearer token, or one that does not verify. `reason` is told to the client."""

    def __init__(self, reason: str, *, invalid_token: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invalid_token = invalid_token  # False when no token was presented at all


class Forbidden(Exception):
    """403: a verified caller without the role the operation needs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """503: the provider's keys could not be fetched, so no token can be checked."""
