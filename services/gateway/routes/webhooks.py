"""Signed webhooks from event platforms (Standard Webhooks), and the deliveries API.

`POST /v1/webhooks/{source}` answers 202 only once the raw delivery is stored in JetStream
(stream WEBHOOKS, `Nats-Msg-Id` = source and webhook-id, PubAck awaited); the events service
normalises it from there. Nothing else is done on the request path.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.types import Scope

from shared.contracts.api import events as api
from shared.contracts.rpc import FieldProblem, Problem
from shared.contracts.subjects import webhook_subject
from shared.metrics import WEBHOOK_DELIVERIES
from shared.settings import Settings
from shared.webhooks.adapters import ADAPTERS, PayloadInvalid, UnsupportedType, normalise

from ..access import SIGNATURE, Acting, allowed
from ..backends import BackendsDep, IdPath, responses
from ..problems import problem_response
from ..webhooks import RateLimits, SignatureRefused, verify

router = APIRouter(tags=["webhooks"])
PREFIX = "/v1/webhooks/"
STREAM = "WEBHOOKS"


def _problem(status: int, kind: str, title: str, field: str, detail: str, **headers: str):
    return problem_response(
        Problem(
            type=f"/problems/{kind}",
            title=title,
            status=status,
            detail=detail,
            errors=[FieldProblem(field=field, message=detail)],
        ),
        headers=headers or None,
    )


def count_refused_body(settings: Settings):
    """For the body size limit: count a webhook over the limit as `too_large`."""
    sources = settings.webhook.sources()

    def refused(scope: Scope) -> None:
        path: str = scope["path"]
        if path.startswith(PREFIX):
            source = path.removeprefix(PREFIX)
            if source in sources:
                WEBHOOK_DELIVERIES.labels(source, "too_large").inc()

    return refused


def _problem_doc(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


# The intake is not an operation of a service (it stores in JetStream): its answers are its own.
INTAKE_RESPONSES = {
    202: {"model": api.WebhookReceipt, "description": "Stored (or already stored: duplicate)"},
    400: _problem_doc("Malformed JSON or a payload that breaks the adapter's schema"),
    401: _problem_doc("Missing or bad signature, or a stale or future timestamp"),
    404: _problem_doc("Unknown source"),
    413: _problem_doc("Body over the webhook limit"),
    429: _problem_doc("Over the source's rate; see Retry-After"),
    500: _problem_doc("Internal error (logged)"),
    503: _problem_doc("The delivery could not be stored; send it again (see Retry-After)"),
}


@router.post(
    "/v1/webhooks/{source}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Receive a signed webhook delivery from an event platform (Standard Webhooks)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "The platform's payload, signed; see docs/webhooks.md.",
        }
    },
    response_model=None,
    responses=INTAKE_RESPONSES,
)
async def receive(
    source: str,
    request: Request,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(SIGNATURE))],
    webhook_id: Annotated[str | None, Header()] = None,
    webhook_timestamp: Annotated[str | None, Header()] = None,
    webhook_signature: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    received_at = datetime.now(UTC)
    settings: Settings = request.app.state.settings
    adapter_name = settings.webhook.sources().get(source)
    if adapter_name is None:
        return _problem(404, "not-found", "Not found", "source", f"no webhook source {source!r}")
    body = await request.body()
    try:
        verify(
            keys=settings.webhook.signing_keys(source),
            webhook_id=webhook_id,
            timestamp=webhook_timestamp,
            signature=webhook_signature,
            body=body,
            now=time.time(),
            tolerance=settings.webhook.tolerance,
        )
    except SignatureRefused as refused:
        WEBHOOK_DELIVERIES.labels(source, refused.outcome).inc()
        return _problem(
            401, refused.outcome.replace("_", "-"), "Unauthorized", refused.header, refused.detail
        )
    assert webhook_id and webhook_timestamp

    limits: RateLimits = request.app.state.webhook_limits
    wait = limits.retry_after(source, time.monotonic())
    if wait > 0:
        WEBHOOK_DELIVERIES.labels(source, "rate_limited").inc()
        return _problem(
            429,
            "rate-limited",
            "Too many requests",
            "source",
            f"over {settings.webhook.rate:g} deliveries per second for {source!r}",
            **{"Retry-After": str(max(1, math.ceil(wait)))},
        )

    try:
        normalise(ADAPTERS[adapter_name], body)
    except PayloadInvalid as invalid:
        WEBHOOK_DELIVERIES.labels(source, "invalid").inc()
        kind = "malformed-json" if invalid.errors == [("body", "not valid JSON")] else "invalid"
        return problem_response(
            Problem(
                type=f"/problems/{kind}",
                title="Invalid payload",
                status=400,
                detail=str(invalid),
                errors=[FieldProblem(field=f, message=m) for f, m in invalid.errors],
            )
        )
    except UnsupportedType:
        pass  # accepted and kept as a failed delivery: replayable once the type is supported

    try:
        ack = await backends.broker.publish(
            body,
            webhook_subject(adapter_name),
            headers={
                "Nats-Msg-Id": f"{source}:{webhook_id}",
                "Rapport-Webhook-Source": source,
                "Rapport-Webhook-Id": webhook_id,
                "Rapport-Webhook-Timestamp": webhook_timestamp,
                "Rapport-Received-At": received_at.isoformat(),
            },
            stream=STREAM,
            timeout=settings.webhook.publish_timeout,
        )
    except Exception as error:  # NATS down or slow: the sender retries, nothing is lost
        WEBHOOK_DELIVERIES.labels(source, "unavailable").inc()
        return _problem(
            503,
            "service-unavailable",
            "Service unavailable",
            "body",
            f"the delivery could not be stored ({type(error).__name__}); send it again",
            **{"Retry-After": "5"},
        )
    outcome = "duplicate" if ack.duplicate else "accepted"
    WEBHOOK_DELIVERIES.labels(source, outcome).inc()
    receipt = api.WebhookReceipt(webhook_id=webhook_id, status=outcome)
    return JSONResponse(receipt.model_dump(), status_code=202)


@router.get(
    "/v1/webhooks/deliveries",
    summary=api.list_deliveries.summary,
    responses=responses(api.list_deliveries),
)
async def list_deliveries(
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.list_deliveries))],
    status: api.DeliveryStatus = "failed",
    source: Annotated[api.SourceName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> api.Deliveries:
    return await backends.call(
        api.list_deliveries,
        api.DeliveryQuery(status=status, source=source, limit=limit, cursor=cursor),
    )


@router.post(
    "/v1/webhooks/deliveries/{delivery_id}/replay",
    summary=api.replay_delivery.summary,
    responses=responses(api.replay_delivery),
)
async def replay_delivery(
    delivery_id: IdPath,
    backends: BackendsDep,
    _: Annotated[Acting, Depends(allowed(api.replay_delivery))],
) -> api.DeliveryView:
    return await backends.call(api.replay_delivery, api.DeliveryRef(delivery_id=delivery_id))
