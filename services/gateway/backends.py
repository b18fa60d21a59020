"""The gateway's only way to the services: request/reply over NATS with a timeout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from faststream.nats import NatsBroker
from pydantic import BaseModel

from shared.messaging.rpc import call


class Backends:
    def __init__(self, broker: NatsBroker, timeout: float) -> None:
        self.broker = broker
        self.timeout = timeout

    async def ask(
        self,
        service: str,
        operation: str,
        payload: BaseModel | dict,
        *,
        timeout: float | None = None,
    ) -> Any:
        return await call(self.broker, service, operation, payload, timeout=timeout or self.timeout)


def _backends(request: Request) -> Backends:
    return request.app.state.backends


BackendsDep = Annotated[Backends, Depends(_backends)]
IdPath = Annotated[str, Path(min_length=1, max_length=64)]
