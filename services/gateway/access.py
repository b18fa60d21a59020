"""Access control: every route applies its operation's rule (`Access`, declared with the
operation in shared/contracts) through one dependency, `allowed(operation)`.

The dependency verifies the token (services/gateway/auth/), checks the rule's role, finds
the caller's member from the token's subject (profiles' `member_of_subject`, remembered a
few seconds) and, for a `self` rule, checks that a path parameter naming the acting member
is the caller (403 otherwise). Request fields naming the acting member that are not in the
path are not in the HTTP API: the route fills them from `Acting.member_id`.

The document (OpenAPI) carries each route's rule as `x-rapport-access`, and the gateway
refuses to start with a route that has none: a route added without a rule cannot be served.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, routing
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials

from shared.contracts.api import profiles
from shared.contracts.operations import PUBLIC, Access, Operation
from shared.messaging.rpc import RemoteProblem

from .auth import Caller, Forbidden, authenticate, bearer

SIGNATURE = Access("signature")
"""Not a bearer route: the request is authenticated by its signature (webhooks)."""

MEMBER_CACHE_SECONDS = 5.0  # how long a subject's member is remembered (erasure: see forget)
MEMBER_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Acting:
    """Who calls: the verified caller (None on public routes) and their member, if any."""

    caller: Caller | None
    member_id: str | None

    @property
    def operator(self) -> bool:
        return self.caller is not None and self.caller.has_role("operator")

    def among(self, member_ids: Iterable[str]) -> None:
        """An `among` rule: the caller must be one of `member_ids`."""
        if self.member_id not in set(member_ids):
            raise Forbidden("you can only act on what you take part in")

    def sees_email_of(self, member_id: str) -> bool:
        return member_id == self.member_id or self.operator


class MemberDirectory:
    """Subject -> member id, from profiles, in a small LRU that forgets after a few seconds.

    Only found members are remembered (a new member is found at once). Erasing a member
    through this gateway forgets it at once; another gateway replica may use the erased
    member's id for at most MEMBER_CACHE_SECONDS, and every service answers 404 for it.
    """

    def __init__(self, seconds: float = MEMBER_CACHE_SECONDS, size: int = MEMBER_CACHE_SIZE):
        self.seconds = seconds
        self.size = size
        self._known: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def member_of(self, request: Request, subject: str) -> str | None:
        known = self._known.get(subject)
        now = time.monotonic()
        if known is not None and known[1] > now:
            self._known.move_to_end(subject)
            return known[0]
        self._known.pop(subject, None)
        try:
            found = await request.app.state.backends.call(
                profiles.member_of_subject, profiles.SubjectRef(subject=subject)
            )
        except RemoteProblem as problem:
            if problem.problem.status == 404:
                return None
            raise
        self._known[subject] = (found.member_id, now + self.seconds)
        if len(self._known) > self.size:
            self._known.popitem(last=False)
        return found.member_id

    def forget(self, subject: str) -> None:
        self._known.pop(subject, None)


def rule_of(target: Operation | Access) -> Access:
    rule = target if isinstance(target, Access) else target.access
    if rule is None:
        raise ValueError(f"{target.service}.{target.name} has no access rule: not a route")
    if rule.kind == "services":  # the bus refuses the gateway its subject anyway
        raise ValueError(f"{rule.kind} {', '.join(rule.fields)}: for services only, not a route")
    return rule


def allowed(target: Operation | Access) -> Callable[..., Awaitable[Acting]]:
    """The dependency of a route calling `target` (an operation, or a rule for routes that
    call none): answers 401/403 as the rule says, and who acts."""
    rule = rule_of(target)

    if rule.kind in ("public", "signature"):

        async def anyone() -> Acting:
            return Acting(None, None)

        anyone.access = rule  # type: ignore[attr-defined]
        return anyone

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Acting:
        caller = await authenticate(request, credentials)
        if rule.role is not None:
            if not caller.has_role(rule.role):
                raise Forbidden(f"this operation needs the role {rule.role}")
            return Acting(caller, None)
        if rule.kind == "signed_in":
            return Acting(caller, None)
        member_id = await request.app.state.members.member_of(request, caller.subject)
        if member_id is None:
            raise Forbidden("register first (POST /v1/members): your token names no member")
        named = [request.path_params[f] for f in rule.fields if f in request.path_params]
        if rule.kind == "self" and any(value != member_id for value in named):
            raise Forbidden("you can only act as yourself")
        if rule.kind == "pair" and member_id not in named:
            raise Forbidden("only a member of the pair can see it")
        return Acting(caller, member_id)

    check.access = rule  # type: ignore[attr-defined]
    return check


def api_routes(app: FastAPI) -> list[Any]:
    """The app's API routes as served (with their routers' prefixes and dependencies)."""
    return [
        context
        for context in routing.iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def access_of(route: Any) -> Access | None:
    """The rule a route applies (the `allowed` dependency among its dependencies)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        rule = getattr(dependant.call, "access", None)
        if isinstance(rule, Access):
            return rule
        pending += dependant.dependencies
    return None


def describe(rule: Access) -> dict[str, Any]:
    return {"rule": rule.kind, **({"fields": list(rule.fields)} if rule.fields else {})}


RULE_TEXT = {
    "public": "anyone, no token",
    "signature": "no token: the delivery's signature (Standard Webhooks)",
    "signed_in": "anyone signed in",
    "self": "that member only (the path's `{fields}` is the caller)",
    "self-filled": "any member, acting as themself (`{fields}` is the caller)",
    "pair": "either member of the pair (`{fields}`)",
    "among": "a member listed in `{fields}`",
    "analyst": "role `analyst`",
    "operator": "role `operator`",
}


def rules_table(app: FastAPI) -> str:
    """The rule of every documented route, as the Markdown table docs/api.md carries."""
    rows = ["| method and path | who may call it |", "|---|---|"]
    for route in api_routes(app):
        rule = access_of(route)
        if not route.include_in_schema or rule is None:
            continue
        kind = rule.kind
        if kind == "self" and "{" + rule.fields[0] + "}" not in route.path_format:
            kind = "self-filled"
        text = RULE_TEXT[kind].format(fields="`, `".join(rule.fields))
        for method in sorted(route.methods):
            rows.append(f"| `{method} {route.path_format}` | {text} |")
    return "\n".join(rows) + "\n"


def install(app: FastAPI) -> None:
    """Give the app its member directory; refuse a route without a rule."""
    app.state.members = MemberDirectory()
    missing = [
        f"{sorted(route.methods)} {route.path_format}"
        for route in api_routes(app)
        if access_of(route) is None
    ]
    if missing:
        raise ValueError(f"routes without an access rule: {', '.join(missing)}")


PublicDep = Annotated[Acting, Depends(allowed(PUBLIC))]
