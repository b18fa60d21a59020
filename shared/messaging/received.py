"""The message a subscriber is handling, injected without a thread.

FastStream's `NatsMessage` annotation is a `Context` field whose `use` is synchronous, and
FastDepends runs synchronous fields in a worker thread: a thread hand-off, and a wake-up of
the event loop, for every message every subscriber handles. The same field with an `async`
`use` is resolved on the loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from faststream._internal.context import Context
from faststream.nats.message import NatsMessage


class _OnTheLoop(Context):
    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return super().use(**kwargs)


ReceivedMessage = Annotated[NatsMessage, _OnTheLoop("message")]
