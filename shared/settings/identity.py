"""Sections of the settings for sign-in: the tokens the gateway trusts, the development
issuer, the web app."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from .platform import Section

# Signature algorithms a token may use: public-key ones only, so that no key the gateway
# fetches can ever be used as an HMAC secret, and never `none`.
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip


class AuthSettings(Section):
    """Bearer JWTs from the organisation's OpenID Connect provider (services/gateway/auth/,
    docs/api.md#authentication)."""

    issuer: str | None = Field(
        None,
        description="Issuer URL of the OpenID Connect provider whose tokens the gateway "
        "trusts (its discovery document is <issuer>/.well-known/openid-configuration); "
        "unset: `make run` starts the development issuer and trusts it.",
    )
    audience: str = Field("rapport", description="The `aud` every token must name.")
    leeway: float = Field(
        30.0, ge=0, le=300, description="Seconds of clock skew allowed on exp, nbf and iat."
    )
    algorithms: list[str] = Field(
        list(ASYMMETRIC_ALGORITHMS),
        description="Signature algorithms accepted (asymmetric only: none and HS* refused).",
    )
    subject_claim: str = Field(
        "sub", description="Claim naming the member (the acting member is this subject)."
    )
    email_claim: str = Field("email", description="Claim holding the email.")
    email_verified_claim: str = Field(
        "email_verified",
        description="Claim that is true when the email is verified; empty: the provider only "
        "issues verified emails.",
    )
    team_claim: str = Field("team", description="Claim holding the member's team.")
    roles_claim: str = Field(
        "roles", description="Claim holding roles (a dotted path reaches a nested claim)."
    )
    required_claims: dict[str, str] = Field(
        {},
        description="Claims every token must carry with these values, JSON "
        '(Google Workspace: {"hd": "example.org"}, only the organisation\'s accounts).',
    )
    default_roles: list[str] = Field(
        ["member"], description="Roles every verified caller has, whatever the token says."
    )
    development: bool = Field(
        False,
        description="Trust the development issuer's tokens and a plain-http issuer; never "
        "in production.",
    )
    jwks_refresh_interval: float = Field(
        10.0, ge=0, description="Fewest seconds between key fetches caused by an unknown kid."
    )
    jwks_max_age: float = Field(
        3600.0, gt=0, description="Seconds the provider's keys are kept before fetched again."
    )
    fetch_timeout: float = Field(
        5.0, gt=0, description="Seconds to fetch the discovery document or the keys."
    )
    token_cache_size: int = Field(
        10_000,
        ge=0,
        description="Verified tokens remembered until they expire or the keys change (0: none).",
    )
    unverified_for_bench: bool = Field(
        False,
        description="BENCH BASELINE ONLY, never elsewhere: read a token's claims without "
        "checking it (no signature, issuer, audience or expiry check), so that `make bench` "
        "can measure what checking tokens costs. Refused outside development mode.",
    )

    @field_validator("algorithms")
    @classmethod
    def _algorithms_are_asymmetric(cls, value: list[str]):
        refused = [a for a in value if a not in ASYMMETRIC_ALGORITHMS]
        if refused or not value:
            raise ValueError(
                f"token algorithms must be among {', '.join(ASYMMETRIC_ALGORITHMS)}; "
                f"refused: {refused or 'an empty list'}"
            )
        return value


class IssuerSettings(Section):
    port: int = Field(8090, description="Port of the development issuer (loopback).")
    token_lifetime: float = Field(3600.0, gt=0, description="Seconds a development token is valid.")


class WebSettings(Section):
    """The web app (services/web), served by the gateway under / (docs/architecture.md#web-app)."""

    client_id: str = Field(
        "rapport-web", description="OAuth client id of the web app at the OpenID provider."
    )
    client_secret: SecretStr | None = Field(
        None,
        description="Client secret of the web app, if the provider gives it one (unset: a "
        "public client, protected by PKCE alone).",
    )
    scopes: str = Field(
        "openid email profile", description="Scopes the web app asks the provider for."
    )
    public_url: str | None = Field(
        None,
        description="Base URL the web app is reached at (https://rapport.example.org), for "
        "the sign-in redirect; unset: the URL of each request.",
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Key of the session cookies; unset: the one `make run` generated under "
        "<data_dir>/secrets (every gateway replica must share it).",
    )
    session_hours: float = Field(
        8.0, gt=0, description="Hours a web session lasts (never beyond its access token)."
    )
    reload_templates: bool = Field(
        False,
        description="Re-read a template when its file changed (while editing templates); "
        "off, each template is compiled once per process.",
    )
