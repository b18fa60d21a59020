"""The webhook edge's rules: Standard Webhooks signature verification and a per-source
token bucket. Pure functions and small classes, no I/O."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from dataclasses import dataclass, field

WEBHOOK_ID = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # integer seconds since the epoch


class SignatureRefused(Exception):
    """The delivery is not authentic (`bad_signature`) or not fresh (`stale`)."""

    def __init__(self, outcome: str, header: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.header, self.detail = outcome, header, detail


def sign(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def verify(
    *,
    keys: list[bytes],
    webhook_id: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: float,
) -> int:
    """Check a delivery as the Standard Webhooks specification says; returns its timestamp.

    The signature header holds space-separated `v1,<base64>` signatures; one of them must be
    the HMAC-SHA256 of `{id}.{timestamp}.{body}` under one of the source's keys (several
    keys are valid while a secret is rotated). Comparisons take constant time.
    """
    for header, value in (
        ("webhook-id", webhook_id),
        ("webhook-timestamp", timestamp),
        ("webhook-signature", signature),
    ):
        if not value:
            raise SignatureRefused("bad_signature", header, f"the {header} header is missing")
    assert webhook_id and timestamp and signature
    if not WEBHOOK_ID.fullmatch(webhook_id):
        raise SignatureRefused(
            "bad_signature", "webhook-id", "webhook-id is 1-200 printable characters, no spaces"
        )
    if not TIMESTAMP.fullmatch(timestamp):
        raise SignatureRefused(
            "bad_signature", "webhook-timestamp", "webhook-timestamp is integer seconds"
        )
    expected = [sign(key, webhook_id, timestamp, body) for key in keys]
    matched = False
    for candidate in _signatures(signature):
        for digest in expected:
            matched |= hmac.compare_digest(digest, candidate)
    if not matched:
        raise SignatureRefused(
            "bad_signature", "webhook-signature", "no signature matches a secret of this source"
        )
    sent = int(timestamp)
    if abs(now - sent) > tolerance:
        direction = "old" if sent < now else "ahead"
        raise SignatureRefused(
            "stale",
            "webhook-timestamp",
            f"webhook-timestamp is more than {tolerance:g} seconds {direction}",
        )
    return sent


def _signatures(header: str) -> list[bytes]:
    found = []
    for part in header.split(" "):
        version, _, encoded = part.partition(",")
        if version != "v1":
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; one delivery takes one."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        if self.updated is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else math.inf


class RateLimits:
    """One token bucket per source, in this gateway process."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, source: str, now: float) -> float:
        bucket = self._buckets.setdefault(source, TokenBucket(self.rate, self.burst))
        return bucket.take(now)
