"""Who is signed in: the session cookie, sign-in with the organisation's OpenID Connect
provider (authorization code flow with PKCE, through Authlib), and the page dependencies.

The session lives in one cookie, encrypted and authenticated (Fernet) with the web's session
key, so that any gateway replica can read it and no server-side store is needed. It holds the
provider's access token, which every page sends to the API as the member's bearer token: the
API decides what the member may see and do, exactly as for any other client. The cookie is
HttpOnly, SameSite=Lax and Secure over TLS; it ends with the token or after
`web.session_hours`, whichever is first.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from cryptography.fernet import Fernet, InvalidToken
from fastapi import Depends, Request
from starlette.responses import Response

from shared.settings import Settings

from .api import Api

COOKIE = "rapport_session"
SIGNIN_COOKIE = "rapport_signin"  # state, PKCE verifier and next page, during a sign-in
SIGNIN_SECONDS = 600  # a sign-in not finished in 10 minutes starts again
SECRET_FILE = "web-session.secret"


# --- the session key -----------------------------------------------------------------------


def session_secret(settings: Settings) -> str:
    """The configured key, or the one made once under <data_dir>/secrets (by `make run`, or
    by the first gateway to start)."""
    if settings.web.session_secret is not None:
        return settings.web.session_secret.get_secret_value()
    return ensure_secret(settings.data_dir / "secrets")


def ensure_secret(directory: Path) -> str:
    path = directory / SECRET_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        with open(temporary, "x") as file:
            temporary.chmod(0o600)
            file.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):  # the first writer wins: replicas agree
            os.link(temporary, path)
        temporary.unlink()
    return path.read_text().strip()


# --- the session ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    token: str
    subject: str
    roles: tuple[str, ...]
    member_id: str | None
    handle: str
    csrf: str
    expires: float

    @property
    def over(self) -> bool:
        return time.time() >= self.expires


class SessionCodec:
    """Session <-> cookie value, encrypted and authenticated with the session key."""

    def __init__(self, secret: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        self.fernet = Fernet(key)

    def seal(self, data: dict[str, Any]) -> str:
        return self.fernet.encrypt(json.dumps(data).encode()).decode()

    def open(self, value: str | None, max_age: float | None = None) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            ttl = int(max_age) if max_age else None
            return json.loads(self.fernet.decrypt(value.encode(), ttl=ttl))
        except (InvalidToken, ValueError):
            return None  # altered, from another key, or too old: no session

    def session(self, request: Request) -> Session | None:
        data = self.open(request.cookies.get(COOKIE))
        if data is None:
            return None
        try:
            data["roles"] = tuple(data["roles"])
            session = Session(**data)
        except (KeyError, TypeError):
            return None
        return None if session.over else session


def cookie_options(request: Request) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
    }


def store(response: Response, request: Request, session: Session) -> None:
    codec: SessionCodec = request.app.state.web.codec
    max_age = max(0, int(session.expires - time.time()))
    value = codec.seal(asdict(session) | {"roles": list(session.roles)})
    response.set_cookie(COOKIE, value, max_age=max_age, **cookie_options(request))


def clear(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, **cookie_options(request))


# --- the viewer of a page ------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The signed-in member a page is for; `api` calls the API as them. `member_id` is empty
    only for a signed-in caller who has not registered (pages behind `RoleDep`)."""

    member_id: str
    handle: str
    roles: frozenset[str]
    csrf: str
    api: Api = field(repr=False)

    def has_role(self, role: str) -> bool:
        return role in self.roles


class SignInRequired(Exception):
    """No session: the page redirects to /signin, then back to `next`."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next = next_url


class RegistrationRequired(SignInRequired):
    """Signed in, but the subject is no member yet: the page redirects to /welcome."""


class PageForbidden(Exception):
    """The viewer may not see this page (403 page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def safe_next(value: str | None) -> str:
    """Only a path of this site: never an open redirect to another."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def signin_url(next_url: str) -> str:
    return f"/signin?next={quote(next_url, safe='/')}"


def viewer_of(request: Request, session: Session) -> Viewer:
    api = Api(request.app.state.web.client, session.token)
    roles = frozenset(session.roles)
    return Viewer(session.member_id or "", session.handle, roles, session.csrf, api)


def current_session(request: Request) -> Session | None:
    return request.app.state.web.codec.session(request)


async def signed_in(request: Request) -> Viewer:
    """Anyone signed in, registered or not."""
    session = current_session(request)
    if session is None:
        raise SignInRequired(here(request))
    request.state.session = session
    return viewer_of(request, session)


async def viewer(request: Request) -> Viewer:
    """A signed-in member (registered)."""
    found = await signed_in(request)
    if not found.member_id:
        raise RegistrationRequired(here(request))
    return found


ViewerDep = Annotated[Viewer, Depends(viewer)]
SignedInDep = Annotated[Viewer, Depends(signed_in)]


def RoleDep(role: str) -> Any:
    """A signed-in caller with `role` (registered or not); others get the 403 page."""

    async def with_role(found: SignedInDep) -> Viewer:
        if not found.has_role(role):
            raise PageForbidden(f"This page is for the role {role}.")
        return found

    return Annotated[Viewer, Depends(with_role)]


# --- sign-in with the provider -------------------------------------------------------------


@dataclass
class Provider:
    """The organisation's OpenID Connect provider, from its discovery document."""

    settings: Settings
    metadata: dict[str, Any] | None = None

    async def endpoints(self) -> dict[str, Any]:
        if self.metadata is None:
            issuer = (self.settings.auth.issuer or "").rstrip("/")
            if not issuer:
                raise SignInUnavailable("no OpenID Connect provider is configured")
            url = f"{issuer}/.well-known/openid-configuration"
            try:
                async with httpx.AsyncClient(timeout=self.settings.auth.fetch_timeout) as c:
                    response = await c.get(url)
                    response.raise_for_status()
                    metadata = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise SignInUnavailable(f"the provider's discovery document: {error}") from None
            missing = {"authorization_endpoint", "token_endpoint"} - set(metadata)
            if missing:
                raise SignInUnavailable(f"the provider publishes no {', '.join(sorted(missing))}")
            self.metadata = metadata
        return self.metadata

    def client(self, redirect_uri: str) -> AsyncOAuth2Client:
        secret = self.settings.web.client_secret
        return AsyncOAuth2Client(
            client_id=self.settings.web.client_id,
            client_secret=secret.get_secret_value() if secret else None,
            token_endpoint_auth_method="client_secret_post" if secret else "none",
            scope=self.settings.web.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self.settings.auth.fetch_timeout,
        )

    async def authorization(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and what the callback must find again."""
        endpoints = await self.endpoints()
        verifier, nonce = generate_token(64), generate_token(24)
        async with self.client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                endpoints["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        return url, {"state": state, "verifier": verifier, "nonce": nonce}

    async def exchange(self, redirect_uri: str, code: str, verifier: str) -> dict[str, Any]:
        endpoints = await self.endpoints()
        async with self.client(redirect_uri) as client:
            return await client.fetch_token(
                endpoints["token_endpoint"], code=code, code_verifier=verifier
            )


class SignInUnavailable(Exception):
    """The provider cannot be used now (its documents, its token endpoint)."""


def new_session(
    token: str, subject: str, roles: frozenset[str], expires_at: float, hours: float
) -> Session:
    return Session(
        token=token,
        subject=subject,
        roles=tuple(sorted(roles)),
        member_id=None,
        handle=subject,
        csrf=secrets.token_urlsafe(32),
        expires=min(expires_at, time.time() + hours * 3600),
    )


def registered(session: Session, member_id: str, handle: str) -> Session:
    return replace(session, member_id=member_id, handle=handle)
