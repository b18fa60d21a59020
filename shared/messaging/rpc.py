"""Request/reply over core NATS: service endpoints and the client the gateway uses.

Endpoints validate the request with its contract model and always reply with a `Reply`;
domain errors and invalid requests become problems, never silence (which would read as a
timeout at the gateway).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats.errors
from faststream.nats import NatsBroker
from faststream.nats.annotations import NatsMessage
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from shared.contracts.rpc import Problem, Reply
from shared.contracts.subjects import rpc_subject
from shared.errors import Conflict, DomainError
from shared.metrics import RPC_HANDLED

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def rpc_endpoint(
    broker: NatsBroker,
    *,
    service: str,
    operation: str,
    request: type[M],
    handler: Callable[[M], Awaitable[Any]],
) -> None:
    """Answer `rapport.rpc.<service>.<operation>`; replicas share the work (queue group)."""

    async def endpoint(msg: NatsMessage) -> dict:
        try:
            command = request.model_validate_json(msg.raw_message.data)
            result = await handler(command)
            reply = Reply(ok=True, result=result)
            outcome = "ok"
        except ValidationError as error:
            reply = Reply(ok=False, problem=Problem.from_validation(error))
            outcome = "invalid"
        except DomainError as error:
            reply = Reply(ok=False, problem=Problem.from_domain(error))
            outcome = error.code
        except IntegrityError:  # a concurrent change won a uniqueness race
            reply = Reply(
                ok=False,
                problem=Problem.from_domain(
                    Conflict("a concurrent change conflicted with this one; try again")
                ),
            )
            outcome = "conflict"
        except Exception:
            # Answer at once rather than let the gateway time out; the error is logged here.
            log.exception("%s.%s failed", service, operation)
            reply = Reply(
                ok=False,
                problem=Problem(
                    type="/problems/internal",
                    title="Internal error",
                    status=500,
                    detail=f"the {service} service failed to handle {operation}; it was logged",
                ),
            )
            outcome = "error"
        RPC_HANDLED.labels(service, operation, outcome).inc()
        return reply.model_dump(mode="json")

    broker.subscriber(
        rpc_subject(service, operation),
        queue=service,
        title=rpc_subject(service, operation),
        description=handler.__doc__,
    )(endpoint)


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"the {service} service did not answer ({reason})")
        self.service = service


class RemoteProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


async def call(
    broker: NatsBroker,
    service: str,
    operation: str,
    payload: BaseModel | dict,
    *,
    timeout: float,
) -> Any:
    """Send a command or query and return its result; raises RemoteProblem or
    ServiceUnavailable."""
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    try:
        answer = await broker.request(body, rpc_subject(service, operation), timeout=timeout)
    except nats.errors.NoRespondersError:
        raise ServiceUnavailable(service, "no instance is running") from None
    except (nats.errors.TimeoutError, TimeoutError):
        raise ServiceUnavailable(service, f"no answer within {timeout:g}s") from None
    except nats.errors.ConnectionClosedError:
        raise ServiceUnavailable(service, "NATS connection closed") from None
    reply = Reply.model_validate_json(answer.body)
    if not reply.ok:
        assert reply.problem is not None
        raise RemoteProblem(reply.problem)
    return reply.result
