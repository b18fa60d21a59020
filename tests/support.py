"""Helpers for tests: settings for a test run, and polling with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

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
