"""Who is calling: bearer JWTs from the organisation's OpenID Connect provider, verified here.

The provider is found by its issuer URL (discovery document, then its JWKS); its public keys
are cached by `kid` and fetched again when a token names a key we do not know (at most once
per `auth.jwks_refresh_interval`, so a flood of made-up kids cannot hammer the provider) or
when they are older than `auth.jwks_max_age` (so a withdrawn key stops being trusted).
PyJWT checks the signature, issuer, audience, exp, nbf and iat; only asymmetric algorithms
are accepted, and the key a token is checked with is bound to the token's algorithm, so a
public key can never be used as an HMAC secret.

Routes ask for a `Caller` (`caller: CallerDep`) or a role (`Depends(require_role(...))`):
no token or an invalid one is a 401 with `WWW-Authenticate: Bearer`, a missing role a 403.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.utils import base64url_decode
from pydantic import TypeAdapter, ValidationError

from shared.contracts.fields import PlainText
from shared.contracts.rpc import Problem
from shared.settings import Settings

from .problems import problem_response

log = logging.getLogger(__name__)

ROLES = ("member", "analyst", "operator")
"""member: acts as themself; analyst: reads org and team insights; operator: runs the system."""

DEVELOPMENT_CLAIM = "rapport_development"
"""Set (true) in every token of the development issuer; refused unless development mode."""

REALM = "rapport"
LONGEST_CLAIM = 256  # longest subject, email or team we accept from a token
_PLAIN = TypeAdapter(Annotated[str, PlainText])

bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token (JWT) from the organisation's OpenID Connect provider; "
    "with `make run`, `make token HANDLE=ana ROLE=member` prints one.",
    auto_error=False,
)
SECURITY_SCHEME = bearer.model.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class Caller:
    """The verified caller: the token's subject, its verified email, team and roles."""

    subject: str
    email: str | None
    team: str | None
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles


class NotAuthenticated(Exception):
    """401: no bearer token, or one that does not verify. `reason` is told to the client."""

    def __init__(self, reason: str, *, invalid_token: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invalid_token = invalid_token  # False when no token was presented at all


class Forbidden(Exception):
    """403: a verified caller without the role the operation needs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """503: the provider's keys could not be fetched, so no token can be checked."""


class KeySet:
    """The provider's signing keys by kid, fetched without blocking the event loop."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.auth.issuer or ""
        self.development = settings.auth.development
        self.timeout = settings.auth.fetch_timeout
        self.refresh_interval = settings.auth.jwks_refresh_interval
        self.max_age = settings.auth.jwks_max_age
        self._jwks_uri: str | None = None
        self._keys: dict[str, dict[str, Any]] = {}  # kid -> JWK, as published
        self._bound: dict[tuple[str, str], jwt.PyJWK] = {}  # (kid, alg) -> key for that alg
        self._fetched_at: float | None = None  # last successful fetch (monotonic)
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._lock = asyncio.Lock()
        self.generation = 0  # counts changes of the key set

    async def key(self, kid: str, algorithm: str) -> jwt.PyJWK:
        """The key `kid` bound to `algorithm`; fetches the keys again when due or unknown."""
        # a fetch under way is waited for: its keys may be the ones this token needs
        if self._due(kid) or self._lock.locked():
            async with self._lock:  # one fetch for every request waiting on it
                if self._due(kid):
                    await self._refresh()
        if not self._keys:
            raise ProviderUnavailable(f"the keys of {self.issuer} could not be fetched")
        jwk = self._keys.get(kid)
        if jwk is None:
            raise NotAuthenticated("the token is signed by a key the issuer does not publish")
        bound = self._bound.get((kid, algorithm))
        if bound is None:
            try:
                # A JWK that names its alg must match the token's; one that does not is
                # read for the token's alg (an RSA key cannot be read as an EC key).
                bound = jwt.PyJWK(jwk, algorithm=jwk.get("alg") or algorithm)
            except jwt.PyJWTError:
                raise NotAuthenticated("the token's algorithm does not fit its key") from None
            self._bound[(kid, algorithm)] = bound
        return bound

    def _due(self, kid: str) -> bool:
        """A fetch is due for an unknown kid or old keys, unless one was tried just now."""
        now = time.monotonic()
        if self._attempted_at is not None and now - self._attempted_at < self.refresh_interval:
            return False
        old = self._fetched_at is None or now - self._fetched_at >= self.max_age
        return old or kid not in self._keys

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                if self._jwks_uri is None:
                    self._jwks_uri = await self._discover(client)
                keys = _signing_keys(await _json_object(client, self._jwks_uri))
        except (httpx.HTTPError, ValueError) as error:
            # Keep trusting the keys we have until the provider answers again.
            log.warning("could not fetch the keys of %s: %s", self.issuer, error)
            return
        if set(keys) != set(self._keys):
            log.info("keys of %s: %s", self.issuer, ", ".join(sorted(keys)))
        if keys != self._keys:
            self.generation += 1  # tokens verified with the old keys are checked again
        self._keys, self._bound = keys, {}
        self._fetched_at = self._attempted_at

    async def _discover(self, client: httpx.AsyncClient) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await _json_object(client, url)
        if document.get("issuer") != self.issuer:
            raise ValueError(f"the discovery document names issuer {document.get('issuer')!r}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not _acceptable_url(jwks_uri, self.development):
            raise ValueError(f"the discovery document's jwks_uri {jwks_uri!r} is not https")
        return jwks_uri


async def _json_object(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} does not answer a JSON object")
    return document


def _signing_keys(jwks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The published public keys usable for signatures, by kid; a key PyJWK cannot read, a
    key for encryption and a symmetric key are left out."""
    published = jwks.get("keys")
    if not isinstance(published, list):
        raise ValueError("the JWKS has no list of keys")
    keys = {}
    for jwk in published:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("kty") == "oct":
            continue
        try:
            jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        keys[jwk["kid"]] = jwk
    return keys


class TokenVerifier:
    """Turns a bearer token into a `Caller`, or says why it cannot."""

    def __init__(self, settings: Settings, keys: KeySet | None = None) -> None:
        self.settings = settings
        self.keys = keys or KeySet(settings)
        self.algorithms = list(settings.auth.algorithms)
        self.cache_size = settings.auth.token_cache_size
        # token -> (caller, accepted until, key generation), least recently used first
        self._verified: OrderedDict[str, tuple[Caller, float, int]] = OrderedDict()

    async def verify(self, token: str) -> Caller:
        """The token's caller. A token verified before is answered from memory until it
        expires or the provider's keys change: a front end sends the same token with every
        request, and checking its signature each time would be a sizeable share of a read."""
        if self.settings.auth.unverified_for_bench:  # the bench's baseline: nothing checked
            try:
                claims = jwt.decode(token, options={"verify_signature": False})
            except jwt.PyJWTError:
                raise NotAuthenticated("the token is not a well-formed JWT") from None
            return self.caller(claims)
        remembered = self._verified.get(token)
        if remembered is not None:
            caller, until, generation = remembered
            if time.time() < until and generation == self.keys.generation:
                self._verified.move_to_end(token)
                return caller
            del self._verified[token]
        generation = self.keys.generation
        caller, expires = await self._verify(token)
        if self.cache_size:
            self._verified[token] = (caller, expires + self.settings.auth.leeway, generation)
            if len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return caller

    async def _verify(self, token: str) -> tuple[Caller, float]:
        header = _header(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self.algorithms:
            raise NotAuthenticated(f"tokens signed with {algorithm!r} are not accepted")
        if not isinstance(kid, str) or not kid:
            raise NotAuthenticated("the token names no signing key (kid)")
        key = await self.keys.key(kid, algorithm)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.settings.auth.audience,
                issuer=self.settings.auth.issuer,
                leeway=self.settings.auth.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise NotAuthenticated("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated("the token is meant for another audience") from None
        except jwt.InvalidIssuerError:
            raise NotAuthenticated("the token comes from another issuer") from None
        except jwt.InvalidSignatureError:
            raise NotAuthenticated("the token's signature does not verify") from None
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the token is invalid: {error}") from None
        if claims.get(DEVELOPMENT_CLAIM) and not self.settings.auth.development:
            raise NotAuthenticated("development tokens are refused outside development mode")
        for name, value in self.settings.auth.required_claims.items():
            if claim(claims, name) != value:
                raise NotAuthenticated(f"the token's {name} claim is not {value!r}")
        return self.caller(claims), claims["exp"]

    def caller(self, claims: dict[str, Any]) -> Caller:
        s = self.settings
        subject = _label(claim(claims, s.auth.subject_claim), "subject")
        if subject is None:
            raise NotAuthenticated(f"the token has no subject ({s.auth.subject_claim})")
        email = _label(claim(claims, s.auth.email_claim), "email")
        if s.auth.email_verified_claim and claim(claims, s.auth.email_verified_claim) is not True:
            email = None  # an unverified email names nobody
        roles = claim(claims, s.auth.roles_claim)
        if isinstance(roles, str):
            roles = roles.split()  # a space-separated list, as scopes are
        if not isinstance(roles, list):
            roles = []
        named = {role for role in roles if isinstance(role, str)}
        return Caller(
            subject=subject,
            email=email,
            team=_label(claim(claims, s.auth.team_claim), "team"),
            # Only Rapport's roles: providers add their own (offline_access, ...).
            roles=frozenset(s.auth.default_roles).union(named).intersection(ROLES),
        )


def _header(token: str) -> dict[str, Any]:
    """The token's header, read only to choose the key; PyJWT checks it again with the rest."""
    try:
        header = json.loads(base64url_decode(token.split(".", 1)[0]))
    except (ValueError, UnicodeDecodeError):
        raise NotAuthenticated("the token is not a well-formed JWT") from None
    if not isinstance(header, dict) or token.count(".") != 2:
        raise NotAuthenticated("the token is not a well-formed JWT")
    return header


def claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; a dotted name reaches into objects (`realm_access.roles`) unless the
    token has a claim of that exact name (namespaced claims are URLs, with dots)."""
    if not name:
        return None
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _label(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > LONGEST_CLAIM:
        raise NotAuthenticated(f"the token's {what} claim is not a short text")
    try:
        return _PLAIN.validate_python(value)
    except ValidationError:
        raise NotAuthenticated(f"the token's {what} claim holds control characters") from None


def _acceptable_url(url: str, development: bool) -> bool:
    scheme = urlsplit(url).scheme
    return scheme == "https" or (development and scheme == "http")


def check_settings(settings: Settings) -> None:
    """Refuse, at start, an issuer the gateway must not trust: OpenID Connect issuers are
    https URLs; only development mode trusts a plain-http one (the development issuer)."""
    issuer = settings.auth.issuer
    if settings.auth.unverified_for_bench and not settings.auth.development:
        raise ValueError("RAPPORT_AUTH_UNVERIFIED_FOR_BENCH is for the bench, in development mode")
    if issuer and not _acceptable_url(issuer, settings.auth.development):
        raise ValueError(
            f"RAPPORT_AUTH_ISSUER {issuer!r} is not an https URL "
            "(only RAPPORT_AUTH_DEVELOPMENT=true trusts a plain-http issuer)"
        )


# --- FastAPI: the dependency, the role check and their answers -------------------------------


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
