"""The FastAPI side: the bearer scheme, the dependency routes use, the role check, their
answers (401 with `WWW-Authenticate: Bearer`, 403, 503), and installing it all on the app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.contracts.rpc import Problem
from shared.settings import Settings

from ..problems import problem_response
from .caller import ROLES, Caller, Forbidden, NotAuthenticated, ProviderUnavailable
from .keys import check_settings
from .tokens import TokenVerifier

log = logging.getLogger(__name__)


REALM = "rapport"


bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token (JWT) from the organisation's OpenID Connect provider; "
    "with `make run`, `make token HANDLE=ana ROLE=member` prints one.",
    auto_error=False,
)
SECURITY_SCHEME = bearer.model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The dependency routes use: the verified caller of this request."""
    if credentials is None:
        raise NotAuthenticated("this operation needs a bearer token", invalid_token=False)
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise NotAuthenticated("no token issuer is configured (RAPPORT_AUTH_ISSUER)")
    return await verifier.verify(credentials.credentials)


CallerDep = Annotated[Caller, Depends(authenticate)]


def require_role(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting a caller with any of `roles` (403 otherwise)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {', '.join(ROLES)}")

    async def with_role(caller: CallerDep) -> Caller:
        if not caller.roles.intersection(roles):
            raise Forbidden(f"this operation needs the role {' or '.join(roles)}")
        return caller

    return with_role


def challenge(error: str | None = None, description: str | None = None) -> str:
    """A `WWW-Authenticate` value (RFC 6750 section 3)."""
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append('error_description="{}"'.format(description.replace('"', "'")))
    return "Bearer " + ", ".join(parts)


async def _not_authenticated(_: Request, error: NotAuthenticated) -> JSONResponse:
    header = challenge("invalid_token", error.reason) if error.invalid_token else challenge()
    problem = Problem(
        type="/problems/unauthenticated",
        title="Not authenticated",
        status=401,
        detail=error.reason,
    )
    return problem_response(problem, headers={"WWW-Authenticate": header})


async def _forbidden(_: Request, error: Forbidden) -> JSONResponse:
    problem = Problem(
        type="/problems/forbidden", title="Forbidden", status=403, detail=error.reason
    )
    header = challenge("insufficient_scope", error.reason)
    return problem_response(problem, headers={"WWW-Authenticate": header})


async def _unavailable(_: Request, error: ProviderUnavailable) -> JSONResponse:
    problem = Problem(
        type="/problems/service-unavailable",
        title="Service unavailable",
        status=503,
        detail=f"{error}; try again shortly",
    )
    return problem_response(problem, headers={"Retry-After": "5"})


def install(app: FastAPI, settings: Settings) -> None:
    """Give the app its verifier and error answers, and say which issuer it trusts."""
    check_settings(settings)
    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(ProviderUnavailable, _unavailable)
    if not settings.auth.issuer:
        app.state.verifier = None
        log.warning("no token issuer configured (RAPPORT_AUTH_ISSUER): every token is refused")
        return
    app.state.verifier = TokenVerifier(settings)
    log.info(
        "trusting bearer tokens from issuer %s for audience %s",
        settings.auth.issuer,
        settings.auth.audience,
    )
    if settings.auth.development:
        log.warning("development mode: tokens of the development issuer are accepted")
    if settings.auth.unverified_for_bench:
        log.warning("BENCH BASELINE: tokens are read without being checked")
