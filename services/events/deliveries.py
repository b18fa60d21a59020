"""Webhook deliveries as the events service keeps them: each is normalised once, or kept as
failed with its reason until a replay succeeds. Pure Python."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.errors import Conflict

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
