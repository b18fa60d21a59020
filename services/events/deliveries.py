"""Webhook deliveries as the events service keeps them: each is normalised once, or kept as
failed with its reason until a replay succeeds, and whom each names, so that an erasure finds
them. Pure Python."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import Conflict

from .domain import normalise_email

NORMALISED, FAILED = "normalised", "failed"
REASON_LIMIT = 2000


def new_delivery_id(now: datetime) -> str:
    """Sortable by arrival: milliseconds since the epoch in hex, then randomness."""
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(10)}"


@dataclass
class Delivery:
    id: str
    source: str
    webhook_id: str
    adapter: str
    body: bytes
    sent_at: datetime
    received_at: datetime
    status: str = NORMALISED
    reason: str | None = None
    handled_at: datetime | None = None
    attempts: int = 1
    sequence: int | None = None  # of its raw message in the WEBHOOKS stream, when new

    def normalised(self, now: datetime) -> None:
        self.status, self.reason, self.handled_at = NORMALISED, None, now

    def failed(self, reason: str, now: datetime) -> None:
        self.status, self.reason, self.handled_at = FAILED, reason[:REASON_LIMIT], now

    def replay(self) -> None:
        """Try a failed delivery again; a normalised one had its effect, once."""
        if self.status != FAILED:
            raise Conflict("this delivery was normalised already", field="delivery_id")
        self.attempts += 1

    def view(self) -> dict:
        return {
            "delivery_id": self.id,
            "source": self.source,
            "webhook_id": self.webhook_id,
            "adapter": self.adapter,
            "status": self.status,
            "reason": self.reason,
            "sent_at": self.sent_at,
            "received_at": self.received_at,
            "handled_at": self.handled_at,
            "attempts": self.attempts,
        }


# --- whom a delivery names ------------------------------------------------------------------

# An address: a local part of at most 64 characters (RFC 5321) starting where a run of
# address characters starts (the look-behind: a large body costs linear time, not
# quadratic), "@", a domain of at most 253.
_PART = r"[^\s\"'<>(),;:@\[\]\\]"
EMAIL = re.compile(rf"(?<!{_PART}){_PART}{{1,64}}@{_PART}{{1,253}}")


def emails_named(body: bytes) -> set[str]:
    """Every email a raw body names, normalised, wherever it stands (any adapter's schema, a
    body that failed to normalise too): the strings of a JSON body (escapes decoded), else
    its text."""
    try:
        texts = list(_strings(json.loads(body)))
    except ValueError:
        texts = [body.decode("utf-8", "replace")]
    found = (address for text in texts for address in EMAIL.findall(text))
    return {normalise_email(address) for address in found if "." in address.split("@")[1]}


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def email_digest(email: str) -> str:
    """How a delivery remembers an email it names: not in clear (the record outlives the body
    of a normalised delivery), yet found again by the member's email at erasure."""
    return hashlib.sha256(b"rapport-webhook-email:" + normalise_email(email).encode()).hexdigest()


@dataclass(frozen=True)
class Named:
    """One person a delivery names: their email's digest and the member it was then."""

    email_digest: str
    member_id: str | None


def retention_cutoff(now: datetime, retention_days: float) -> datetime:
    """Deliveries received before this are no longer needed (normalised, replayed, or past
    any sender's retries): they are forgotten."""
    return now - timedelta(days=retention_days)
