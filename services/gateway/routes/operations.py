"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from shared.contracts.operations import Ping, operations_of
from shared.messaging.rpc import RemoteProblem, ServiceUnavailable
from shared.settings import SERVICES

from ..access import PublicDep
from ..backends import BackendsDep

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    services: dict[str, str]  # each service: "ok", or why it did not answer


@router.get("/healthz", summary="The gateway is alive")
async def healthz(_: PublicDep) -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Every service answers over NATS",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Some service does not answer"}},
)
async def readyz(backends: BackendsDep, _: PublicDep) -> JSONResponse:
    async def ping(service: str) -> str:
        try:
            ping = next(op for op in operations_of(service) if op.name == "ping")
            await backends.call(ping, Ping(), timeout=2.0)
            return "ok"
        except ServiceUnavailable as error:
            return str(error)
        except RemoteProblem as error:
            return error.problem.detail

    results = dict(zip(SERVICES, await asyncio.gather(*map(ping, SERVICES)), strict=True))
    ready = all(r == "ok" for r in results.values())
    readiness = Readiness(status="ready" if ready else "not ready", services=results)
    return JSONResponse(readiness.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(_: PublicDep) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
