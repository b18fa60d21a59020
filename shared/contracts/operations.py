"""One declaration per operation between the gateway (or, for a few, another service) and
a service.

An `Operation` names the service that answers it, its request and reply models and the
problems it may answer with. The service subscribes a typed handler with it
(`ServiceRuntime.serve`), the gateway calls it with it (`Backends.call`) and declares the
route's response model and error responses from it, and both documents (OpenAPI, AsyncAPI)
come from it. Nothing else spells an operation's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from .subjects import rpc_subject

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)


class Request(BaseModel):
    """A command or query: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """A reply: exactly the declared fields (a handler returning more is a bug, caught at
    the service)."""

    model_config = ConfigDict(extra="forbid")


class Done(Answer):
    """The reply of an operation whose answer is its effect (a delete, an unfollow)."""

    done: bool = True


@dataclass(frozen=True)
class Access:
    """Who may call an operation through the gateway (services/gateway/access.py applies it).

    `kind`: `public` (no token), `signed_in` (any verified caller of the organisation),
    `self` (the caller acts as the member the request names in `fields`: a path parameter
    of that name must equal the caller's member, 403 otherwise; a field not in the path is
    filled by the gateway from the caller, so the HTTP API does not have it), `pair` (the
    caller is either member named by `fields`), `among` (the caller is in the list `fields`
    names), `signature` (no token: the request is signed, as webhooks are), a role
    (`analyst`, `operator`), or `services`: never a route, only the back-end services named
    in `fields` may send the request, which the bus enforces (shared/messaging/permissions.py
    gives them that one subject and denies it to the gateway).
    """

    kind: str
    fields: tuple[str, ...] = ()

    @property
    def role(self) -> str | None:
        return self.kind if self.kind in ("analyst", "operator") else None


PUBLIC = Access("public")
ANYONE_SIGNED_IN = Access("signed_in")
ANALYST = Access("analyst")
OPERATOR = Access("operator")


def SERVICES(*services: str) -> Access:
    """Only these services ask it, over the bus; the gateway may not."""
    return Access("services", services)


def SELF(field: str = "member_id") -> Access:
    return Access("self", (field,))


def EITHER(*fields: str) -> Access:
    return Access("pair", fields)


def AMONG(field: str) -> Access:
    """The caller is one of the members the list `field` names."""
    return Access("among", (field,))


@dataclass(frozen=True, eq=False)
class Operation(Generic[Req, Rep]):
    service: str
    name: str
    request: type[Req]
    reply: type[Rep]
    summary: str
    # statuses the service may answer besides success: 404, 403, 409, 400 (a range the
    # service checks), 422 (a rule on valid fields)
    errors: frozenset[int] = field(default_factory=frozenset)
    # a write that creates something: retried with the same Idempotency-Key, it writes once
    idempotent: bool = False
    # who may call it through the gateway (None: the gateway's own, never a route;
    # SERVICES(...): the back-end services named, never the gateway)
    access: Access | None = None

    @property
    def subject(self) -> str:
        return rpc_subject(self.service, self.name)


_DECLARED: dict[str, dict[str, Operation]] = {}


def operation(
    service: str,
    name: str,
    request: type[Req],
    reply: type[Rep],
    summary: str,
    *,
    errors: tuple[int, ...] = (),
    idempotent: bool = False,
    access: Access | None = None,
) -> Operation[Req, Rep]:
    """Declare an operation (once: a second declaration of one name is an error)."""
    declared = _DECLARED.setdefault(service, {})
    if name in declared:
        raise ValueError(f"{service}.{name} is declared twice")
    op = Operation(service, name, request, reply, summary, frozenset(errors), idempotent, access)
    declared[name] = op
    return op


def operations_of(service: str) -> list[Operation]:
    """Every operation a service answers, in declaration order (its api module imported)."""
    import importlib

    importlib.import_module(f"shared.contracts.api.{service}")
    return list(_DECLARED.get(service, {}).values())


class Ping(Request):
    pass


class Pong(Answer):
    service: str
    status: str


def ping_operation(service: str) -> Operation[Ping, Pong]:
    """Readiness: the service answers and its database does too (every service has it)."""
    return operation(
        service, "ping", Ping, Pong, "Readiness of the service and its database", access=PUBLIC
    )
