"""The development issuer's HTTP endpoints: discovery document, JWKS, a token endpoint and the
authorization code flow (services/issuer/authorize.py) that the web app signs in with.

It listens on loopback only, whatever RAPPORT_HOST says: anyone who can reach it can have a
token for anyone.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationError

from services.gateway.auth import DEVELOPMENT_CLAIM
from shared.contracts.api.profiles import Handle
from shared.contracts.fields import PlainText
from shared.settings import Settings

from . import authorize as code_flow
from .keys import ALGORITHM, KeyRing

LOOPBACK = "127.0.0.1"
DEVELOPMENT_EMAIL_DOMAIN = "example.org"

Role = Literal["member", "analyst", "operator"]
Team = Annotated[str, StringConstraints(min_length=1, max_length=100), PlainText]


def issuer_url(settings: Settings) -> str:
    return f"http://{LOOPBACK}:{settings.issuer.port}"


def development_environment(settings: Settings) -> dict[str, str]:
    """What `make run` gives its processes when no issuer is configured: the gateway trusts
    the development issuer, in development mode."""
    if settings.auth.issuer:
        return {}
    return {"RAPPORT_AUTH_ISSUER": issuer_url(settings), "RAPPORT_AUTH_DEVELOPMENT": "true"}


@dataclass(frozen=True)
class Minter:
    """Signs development tokens shaped like a real provider's access tokens."""

    ring: KeyRing
    issuer: str
    audience: str
    lifetime: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Minter:
        return cls(
            KeyRing(settings.data_dir / "issuer" / "keys"),
            issuer_url(settings),
            settings.auth.audience,
            settings.issuer.token_lifetime,
        )

    def claims(
        self,
        handle: str,
        roles: list[str],
        *,
        team: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": handle,
            "email": email or f"{handle}@{DEVELOPMENT_EMAIL_DOMAIN}",
            "email_verified": True,
            "roles": roles,
            "iat": now,
            "nbf": now,
            "exp": now + int(self.lifetime),
            "jti": str(uuid.uuid4()),
            DEVELOPMENT_CLAIM: True,
        }
        if team:
            claims["team"] = team
        return claims

    def mint(self, handle: str, roles: list[str], **fields: str | None) -> str:
        return self.ring.sign(self.claims(handle, roles, **fields))


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: Handle = Field(description="The member the token names (its subject).")
    roles: list[Role] = Field(["member"], min_length=1)
    team: Team | None = None
    email: EmailStr | None = Field(None, description="Default: <handle>@example.org.")


class TokenReply(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


def create_app(minter: Minter) -> FastAPI:
    app = FastAPI(title="Rapport development issuer", version="1")

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": minter.issuer,
            "jwks_uri": f"{minter.issuer}/jwks",
            "authorization_endpoint": f"{minter.issuer}/authorize",
            "token_endpoint": f"{minter.issuer}/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "email", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "claims_supported": ["sub", "email", "email_verified", "team", "roles"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return minter.ring.jwks()  # read on every request: a rotation shows at once

    codes = code_flow.Codes()

    @app.get("/authorize", include_in_schema=False)
    async def authorize_page(request: Request) -> Response:
        return await code_flow.authorize_form(request)

    @app.post("/authorize", include_in_schema=False)
    async def authorize(request: Request) -> Response:
        return await code_flow.authorize(request, codes, TokenRequest)

    @app.post("/token", response_model=TokenReply)
    async def token(request: Request) -> Response:
        """JSON {handle, roles, team, email}: a token at once (`make token`, tests); a form
        with grant_type=authorization_code: the code flow's exchange, PKCE checked."""
        if request.headers.get("content-type", "").startswith("application/x-www-form"):
            form = {k: str(v) for k, v in (await request.form()).items()}
            grant = code_flow.redeem(form, codes)
            if isinstance(grant, Response):
                return grant
            signed = minter.mint(grant.handle, grant.roles, team=grant.team)
            reply = TokenReply(access_token=signed, expires_in=int(minter.lifetime))
            return JSONResponse(reply.model_dump(), headers={"Cache-Control": "no-store"})
        try:
            asked = TokenRequest.model_validate_json(await request.body())
        except ValidationError as error:
            return JSONResponse(
                {"detail": json.loads(error.json(include_url=False))}, status_code=422
            )
        signed = minter.mint(asked.handle, asked.roles, team=asked.team, email=asked.email)
        reply = TokenReply(access_token=signed, expires_in=int(minter.lifetime))
        return JSONResponse(reply.model_dump())

    return app
