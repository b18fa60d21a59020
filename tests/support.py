"""Helpers for tests: settings for a test run, and polling with a deadline."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from shared.settings import Settings


def test_settings(nats_url: str, **overrides) -> Settings:
    defaults = dict(
        nats_url=nats_url,
        max_deliveries=3,
        retry_backoff=[0.05, 0.1],
        ack_wait=5.0,
        outbox_poll_interval=0.2,
        log_format="text",
    )
    return Settings(**(defaults | overrides))


test_settings.__test__ = False  # a helper, not a test


async def eventually(
    probe: Callable[[], Awaitable[object]], *, timeout: float = 5.0, interval: float = 0.05
):
    """Poll `probe` until it returns something truthy (no sleeps to synchronise)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


# --- signed webhook deliveries, signed by the reference implementation ------------------------


def _secret(seed: str) -> str:
    return "whsec_" + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


WEBHOOK_SECRETS = {
    "rapport": [_secret("rapport")],
    "luma": [_secret("luma")],
    # a source in the middle of a rotation: the old and the new secret are both valid
    "rotating": [_secret("rotating-old"), _secret("rotating-new")],
}
WEBHOOK_SOURCE_ADAPTERS = {"rotating": "rapport"}
WEBHOOK_ENV = {
    "RAPPORT_WEBHOOK_SECRETS": json.dumps(WEBHOOK_SECRETS),
    "RAPPORT_WEBHOOK_SOURCE_ADAPTERS": json.dumps(WEBHOOK_SOURCE_ADAPTERS),
}


def signed(
    secrets: str | list[str],
    payload: dict | bytes,
    *,
    webhook_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and the Standard Webhooks headers for it, signed with `standardwebhooks`
    under each of `secrets` (space-separated signatures, as during a rotation)."""
    from standardwebhooks import Webhook

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    keys = [secrets] if isinstance(secrets, str) else secrets
    signature = " ".join(Webhook(key).sign(webhook_id, moment, body.decode()) for key in keys)
    return body, {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": signature,
    }
