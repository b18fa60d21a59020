"""Request/reply over core NATS for declared operations: the service's endpoint and the
gateway's call.

The endpoint validates the request with the operation's request model and always replies
with a `Reply`: domain errors and invalid requests become problems, never silence (which
would read as a timeout at the gateway). The reply is checked against the declared reply
model before it leaves, so the contract the documents show is the one the code keeps.

An `Idempotency-Key` header makes a declared idempotent write answer a retry with its first
answer: `Runner` below stores the answer in the write's own transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats.errors
from faststream.nats import NatsBroker
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from shared.contracts.operations import Operation
from shared.contracts.rpc import Problem, Reply
from shared.errors import Conflict, DomainError
from shared.messaging.received import ReceivedMessage
from shared.metrics import RPC_HANDLED

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)

IDEMPOTENCY_HEADER = "Idempotency-Key"

# Runs an operation's handler: (request, idempotency key or None, request bytes) -> reply
Runner = Callable[[Any, str | None, bytes], Awaitable[BaseModel | dict]]


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rpc_endpoint(broker: NatsBroker, operation: Operation, run: Runner, *, workers: int) -> None:
    """Answer `operation` on its subject, up to `workers` requests at once (each in its own
    unit of work); replicas share the work (queue group)."""
    service, name = operation.service, operation.name

    async def endpoint(msg: ReceivedMessage) -> bytes:
        data = msg.raw_message.data
        key = (msg.raw_message.headers or {}).get(IDEMPOTENCY_HEADER)
        try:
            command = operation.request.model_validate_json(data)
            result = await run(command, key if operation.idempotent else None, data)
            reply = Reply(ok=True, result=checked_reply(operation, result))
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
            log.exception("%s.%s failed", service, name)
            reply = Reply(ok=False, problem=Problem.internal(service, name))
            outcome = "error"
        RPC_HANDLED.labels(service, name, outcome).inc()
        # serialized in one pass (a reply can be a few hundred KB: relationships)
        return reply.model_dump_json().encode()

    # The AsyncAPI document describes RPC subjects from the declarations (shared.asyncapi).
    broker.subscriber(
        operation.subject,
        queue=service,
        include_in_schema=False,
        max_workers=workers,
    )(endpoint)


def checked_reply(operation: Operation[Any, Rep], result: BaseModel | dict) -> Rep:
    """The reply as the declaration says it is (a mismatch is a bug: 500, logged)."""
    if isinstance(result, operation.reply):
        return result
    return operation.reply.model_validate(
        result.model_dump() if isinstance(result, BaseModel) else result
    )


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
    operation: Operation[Req, Rep],
    request: Req,
    *,
    timeout: float,
    idempotency_key: str | None = None,
) -> Rep:
    """Send a command or query and return its typed reply; raises RemoteProblem or
    ServiceUnavailable."""
    service = operation.service
    headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
    try:
        answer = await broker.request(
            request.model_dump_json(exclude_unset=True).encode(),
            operation.subject,
            timeout=timeout,
            headers=headers,
        )
    except nats.errors.NoRespondersError:
        raise ServiceUnavailable(service, "no instance is running") from None
    except (nats.errors.TimeoutError, TimeoutError):
        raise ServiceUnavailable(service, f"no answer within {timeout:g}s") from None
    except nats.errors.ConnectionClosedError:
        raise ServiceUnavailable(service, "NATS connection closed") from None
    reply = Reply.of(operation.reply).model_validate_json(answer.body)
    if not reply.ok or reply.result is None:
        raise RemoteProblem(reply.problem or Problem.internal(service, operation.name))
    return reply.result
