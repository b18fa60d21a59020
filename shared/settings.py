"""Rapport's configuration: one pydantic-settings model, every variable prefixed RAPPORT_."""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Signature algorithms a token may use: public-key ones only, so that no key the gateway
# fetches can ever be used as an HMAC secret, and never `none`.
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip

SERVICES = ("profiles", "connections", "content", "events", "aggregator")
"""The back-end services, each its own process with its own database."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        validation_alias=AliasChoices("RAPPORT_NATS_URL", "NATS_URL"),
        description="NATS server(s), comma separated.",
    )
    nats_monitor_urls: str = Field(
        "",
        description="Monitoring endpoints (http://host:8222) of the nats-servers, comma "
        "separated: the gateway exports their health and JetStream storage as metrics.",
    )
    data_dir: Path = Field(Path("var"), description="Where SQLite files and NATS data live.")
    nats_auth: bool = Field(
        True,
        description="Connect to NATS with an identity, and let `make run` start nats-server "
        "with per-service permissions (docs/operations.md); `off` only for development: "
        "anonymous clients, no permissions.",
    )
    nats_user: str | None = Field(
        None, description="NATS identity of this process; unset: the service's own name."
    )
    nats_password: SecretStr | None = Field(None, description="Password of the NATS identity.")
    nats_password_file: Path | None = Field(
        None,
        description="File holding the NATS password (a mounted secret); unset with no "
        "password: the one `make run` generated under <data_dir>/secrets.",
    )

    profiles_database_url: str | None = Field(None, description="Database of profiles.")
    connections_database_url: str | None = Field(None, description="Database of connections.")
    aggregator_database_url: str | None = Field(None, description="Database of the aggregator.")
    content_database_url: str | None = Field(None, description="Database of content.")
    events_database_url: str | None = Field(None, description="Database of events.")

    host: str = Field("127.0.0.1", description="Interface every HTTP listener binds to.")
    gateway_port: int = Field(8000, description="Port of the HTTP API.")
    profiles_port: int = Field(8101, description="Metrics and health port of profiles.")
    connections_port: int = Field(8102, description="Metrics and health port of connections.")
    aggregator_port: int = Field(8105, description="Metrics and health port of the aggregator.")
    content_port: int = Field(8103, description="Metrics and health port of content.")
    events_port: int = Field(8104, description="Metrics and health port of events.")

    request_timeout: float = Field(5.0, description="Seconds the gateway waits for a service.")
    max_body_bytes: int = Field(64 * 1024, description="Largest accepted HTTP request body.")

    stream_replicas: int = Field(1, description="Replicas of every JetStream stream.")
    duplicate_window: float = Field(120.0, description="JetStream dedupe window, seconds.")
    max_deliveries: int = Field(5, description="Attempts at one message before dead-letter.")
    retry_backoff: list[float] = Field(
        [0.5, 2.0, 5.0, 15.0], description="Delay before each redelivery, seconds."
    )
    ack_wait: float = Field(30.0, description="Seconds before an unacked message is redelivered.")
    outbox_poll_interval: float = Field(1.0, description="Outbox relay poll interval, seconds.")
    outbox_batch_size: int = Field(200, description="Outbox rows published per relay pass.")
    graceful_timeout: float = Field(15.0, description="Seconds in-flight handlers get at stop.")
    database_pool_size: int = Field(
        10,
        ge=1,
        description="PostgreSQL connections a process keeps open (and as many more under load).",
    )
    rpc_workers: int = Field(
        16,
        ge=1,
        description="Requests of one operation a service handles at once (each in its own "
        "unit of work); replicas multiply it.",
    )
    idempotency_key_hours: float = Field(
        24.0, gt=0, description="Hours a write's Idempotency-Key and its answer are kept."
    )

    webhook_secrets: dict[str, list[SecretStr]] = Field(
        {},
        description="Signing secrets per webhook source, JSON {source: [whsec_..., ...]}; "
        "every listed secret is valid (two while rotating). A source not listed is a 404.",
    )
    webhook_source_adapters: dict[str, str] = Field(
        {},
        description="Payload adapter of a source whose name is not an adapter's, "
        "JSON {source: adapter}.",
    )
    webhook_max_body_bytes: int = Field(256 * 1024, description="Largest webhook body.")
    webhook_tolerance: float = Field(
        300.0, description="Seconds a webhook-timestamp may be old or ahead."
    )
    webhook_rate: float = Field(
        200.0, description="Deliveries per second each source may sustain (429 above)."
    )
    webhook_burst: int = Field(1000, description="Deliveries a source may send at once.")
    webhook_publish_timeout: float = Field(
        5.0, description="Seconds the gateway waits for JetStream to store a delivery."
    )
    webhook_retention_days: float = Field(
        7.0,
        gt=0,
        description="Days raw webhook deliveries are kept (the WEBHOOKS stream's max age, and "
        "the events service's records of them, failed ones with their body): long enough to "
        "normalise, replay and recognise a sender's retries, no longer.",
    )
    meeting_future_tolerance: float = Field(
        300.0, description="Seconds a meeting or check-in may lie in the future (clock skew)."
    )

    trust_connected: float = Field(1.0, description="Trust T of a connected pair.")
    trust_follow: float = Field(0.5, description="Trust T when either member follows the other.")

    # Relationship health model (docs/health-model.md)
    health_model: Literal["v1", "v2"] = Field(
        "v2", description="Which health model: v2 (attention share, meetings by duration) or v1."
    )
    health_half_life_days: float = Field(30.0, description="Half-life H of interactions.")
    health_weights: dict[str, float] = Field(
        {
            "reaction": 1.0,
            "comment": 2.0,
            "reply": 2.0,
            "share": 2.0,
            "mention": 2.0,
            "direct_message": 3.0,
            "connection_request": 1.0,
            "connection_acceptance": 1.0,
            "co_attendance": 2.0,
        },
        description="Weight of each kind of interaction (JSON object).",
    )
    health_meeting_base: float | None = Field(
        None, description="A meeting's weight before its minutes (unset: v1 1, v2 0)."
    )
    health_meeting_minutes_per_point: float | None = Field(
        None, gt=0, description="Minutes of meeting per point of weight (unset: v1 10, v2 5)."
    )
    health_meeting_cap: float | None = Field(
        None, description="Largest weight of one meeting (unset: v1 13, v2 24)."
    )
    health_meeting_default_minutes: float = Field(15.0, description="Meeting length if unknown.")
    health_activity_weights: dict[str, float] = Field(
        {"post": 1.0, "group_message": 1.0, "check_in": 3.0},
        description="Weight of a member's own activity in their balance (JSON object).",
    )
    health_thresholds: list[float] = Field(
        [70.0, 45.0, 20.0], description="Health at which thriving, steady, fading begin."
    )
    health_at_risk_gap_factor: float = Field(3.0, description="At risk after this many gaps.")
    health_attention_floor: float = Field(
        10.0, gt=0, description="v2: attention totals below this count as this much."
    )
    health_attention_full_share: float = Field(
        0.2, gt=0, description="v2: an attention share c at or above this is full closeness."
    )
    health_attention_weight: float = Field(
        0.5, ge=0, le=1, description="v2: part of closeness k from attention (the rest: intensity)."
    )
    balance_bounds: list[float] = Field(
        [0.25, 0.75], description="Offline share below: online-heavy; above: offline-heavy."
    )
    nudge_reciprocate_ratio: float = Field(3.0, description="I_ba >= ratio * I_ab to nudge.")
    nudge_reciprocate_minimum: float = Field(3.0, description="...and I_ba at least this.")
    insights_min_group: int = Field(5, description="Smallest team shown in insights.")
    content_half_life_days: float = Field(
        7.0, gt=0, description="Half-life of engagement in a post's content value, days."
    )
    content_weight_reaction: float = Field(1.0, ge=0, description="Value of a reaction.")
    content_weight_comment: float = Field(2.0, ge=0, description="Value of commenting.")
    content_weight_share: float = Field(3.0, ge=0, description="Value of a share.")
    content_stats_window_days: float = Field(
        90.0, gt=0, description="Window of a member's content stats, days."
    )
    content_max_mentions: int = Field(
        50, ge=0, description="Mentions resolved per post, comment or message; more stay text."
    )
    cursor_secret: SecretStr | None = Field(
        None,
        description="Key signing pagination cursors; unset: content generates one at first "
        "start and keeps it in its database.",
    )

    # Profile strength (services/profiles/strength.py). Weights are points; the score is
    # 100 * earned / the weight of the items that can be measured, so with every item
    # measurable and the default weights (they sum to 100) a weight is the item's points.
    strength_weight_headshot: int = Field(15, ge=0, description="Points for a headshot.")
    strength_weight_headline: int = Field(10, ge=0, description="Points for a headline.")
    strength_weight_about: int = Field(10, ge=0, description="Points for an about text.")
    strength_weight_industry: int = Field(5, ge=0, description="Points for an industry.")
    strength_weight_location: int = Field(5, ge=0, description="Points for a location.")
    strength_weight_keywords: int = Field(
        10, ge=0, description="Points for at least strength_min_keywords keywords."
    )
    strength_weight_skills: int = Field(
        10, ge=0, description="Points for at least strength_min_skills skills."
    )
    strength_weight_accomplishments: int = Field(
        10, ge=0, description="Points for at least strength_min_accomplishments."
    )
    strength_weight_goals: int = Field(10, ge=0, description="Points for at least one goal.")
    strength_weight_values: int = Field(5, ge=0, description="Points for at least one value.")
    strength_weight_industry_keywords: int = Field(
        10, ge=0, description="Points for keywords common in the member's industry in the org."
    )
    strength_min_keywords: int = Field(3, ge=1, description="Keywords a profile needs.")
    strength_min_skills: int = Field(5, ge=1, description="Skills a profile needs.")
    strength_min_accomplishments: int = Field(1, ge=1, description="Accomplishments needed.")
    strength_min_goals: int = Field(1, ge=1, description="Goals a profile needs.")
    strength_min_values: int = Field(1, ge=1, description="Values a profile needs.")
    strength_level_intermediate: int = Field(40, description="Lowest intermediate score.")
    strength_level_strong: int = Field(70, description="Lowest strong score.")
    strength_level_all_star: int = Field(90, description="Lowest all-star score.")
    strength_industry_min_peers: int = Field(
        3, ge=1, description="Other members of an industry needed to measure its keywords."
    )
    strength_industry_keyword_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Share of an industry's other members using a keyword "
        "for it to be common there.",
    )
    strength_industry_keyword_min_members: int = Field(
        2, ge=1, description="Fewest other members using a keyword for it to be common."
    )
    strength_industry_keywords_needed: int = Field(
        2, ge=1, description="Common industry keywords a profile needs."
    )
    strength_industry_keywords_shown: int = Field(
        5, ge=1, description="Common industry keywords a suggestion names."
    )

    # Connection suggestions (services/connections/suggestions.py). Each signal is turned into
    # 0-1 by 1 - exp(-raw / scale); the score is 100 * the weighted mean of the four.
    suggestion_weight_fit: float = Field(
        0.4, ge=0, description="Weight of the fit between goals/keywords and the candidate."
    )
    suggestion_weight_mutual: float = Field(
        0.3, ge=0, description="Weight of mutual connections (Adamic-Adar)."
    )
    suggestion_weight_groups: float = Field(0.15, ge=0, description="Weight of shared groups.")
    suggestion_weight_events: float = Field(0.15, ge=0, description="Weight of shared events.")
    suggestion_scale_fit: float = Field(
        4.0, gt=0, description="BM25 fit at which the fit signal reaches 1 - 1/e."
    )
    suggestion_scale_mutual: float = Field(
        2.0, gt=0, description="Adamic-Adar sum at which the mutual signal reaches 1 - 1/e."
    )
    suggestion_scale_groups: float = Field(
        0.5, gt=0, description="Shared-group sum at which the group signal reaches 1 - 1/e."
    )
    suggestion_scale_events: float = Field(
        0.5, gt=0, description="Shared-event sum at which the event signal reaches 1 - 1/e."
    )
    suggestion_bm25_k1: float = Field(1.2, ge=0, description="BM25 term-frequency saturation.")
    suggestion_bm25_b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    suggestion_limit_default: int = Field(10, ge=1, description="Suggestions when no limit.")
    suggestion_limit_max: int = Field(50, ge=1, description="Largest accepted limit.")
    suggestion_reason_names: int = Field(
        3, ge=1, description="Names a reason lists (mutual connections, groups, events)."
    )
    suggestion_refresh_interval: float = Field(
        1.0, gt=0, description="Seconds between the index's catch-ups with the change feed."
    )
    suggestion_change_grace: float = Field(
        10.0, gt=0, description="Seconds a change may take to commit; the feed re-reads them."
    )
    suggestion_change_retention: float = Field(
        3600.0, gt=0, description="Seconds the change feed keeps its rows."
    )

    # Authentication (services/gateway/auth.py, docs/api.md#authentication): bearer JWTs
    # from the organisation's OpenID Connect provider.
    auth_issuer: str | None = Field(
        None,
        description="Issuer URL of the OpenID Connect provider whose tokens the gateway "
        "trusts (its discovery document is <issuer>/.well-known/openid-configuration); "
        "unset: `make run` starts the development issuer and trusts it.",
    )
    auth_audience: str = Field("rapport", description="The `aud` every token must name.")
    auth_leeway: float = Field(
        30.0, ge=0, le=300, description="Seconds of clock skew allowed on exp, nbf and iat."
    )
    auth_algorithms: list[str] = Field(
        list(ASYMMETRIC_ALGORITHMS),
        description="Signature algorithms accepted (asymmetric only: none and HS* refused).",
    )
    auth_subject_claim: str = Field(
        "sub", description="Claim naming the member (the acting member is this subject)."
    )
    auth_email_claim: str = Field("email", description="Claim holding the email.")
    auth_email_verified_claim: str = Field(
        "email_verified",
        description="Claim that is true when the email is verified; empty: the provider only "
        "issues verified emails.",
    )
    auth_team_claim: str = Field("team", description="Claim holding the member's team.")
    auth_roles_claim: str = Field(
        "roles", description="Claim holding roles (a dotted path reaches a nested claim)."
    )
    auth_required_claims: dict[str, str] = Field(
        {},
        description="Claims every token must carry with these values, JSON "
        '(Google Workspace: {"hd": "example.org"}, only the organisation\'s accounts).',
    )
    auth_default_roles: list[str] = Field(
        ["member"], description="Roles every verified caller has, whatever the token says."
    )
    auth_development: bool = Field(
        False,
        description="Trust the development issuer's tokens and a plain-http issuer; never "
        "in production.",
    )
    auth_jwks_refresh_interval: float = Field(
        10.0, ge=0, description="Fewest seconds between key fetches caused by an unknown kid."
    )
    auth_jwks_max_age: float = Field(
        3600.0, gt=0, description="Seconds the provider's keys are kept before fetched again."
    )
    auth_fetch_timeout: float = Field(
        5.0, gt=0, description="Seconds to fetch the discovery document or the keys."
    )
    auth_token_cache_size: int = Field(
        10_000,
        ge=0,
        description="Verified tokens remembered until they expire or the keys change (0: none).",
    )
    auth_unverified_for_bench: bool = Field(
        False,
        description="BENCH BASELINE ONLY, never elsewhere: read a token's claims without "
        "checking it (no signature, issuer, audience or expiry check), so that `make bench` "
        "can measure what checking tokens costs. Refused outside development mode.",
    )
    issuer_port: int = Field(8090, description="Port of the development issuer (loopback).")
    issuer_token_lifetime: float = Field(
        3600.0, gt=0, description="Seconds a development token is valid."
    )

    # The web app (services/web), served by the gateway under / (docs/architecture.md#web-app)
    web_client_id: str = Field(
        "rapport-web", description="OAuth client id of the web app at the OpenID provider."
    )
    web_client_secret: SecretStr | None = Field(
        None,
        description="Client secret of the web app, if the provider gives it one (unset: a "
        "public client, protected by PKCE alone).",
    )
    web_scopes: str = Field(
        "openid email profile", description="Scopes the web app asks the provider for."
    )
    web_public_url: str | None = Field(
        None,
        description="Base URL the web app is reached at (https://rapport.example.org), for "
        "the sign-in redirect; unset: the URL of each request.",
    )
    web_session_secret: SecretStr | None = Field(
        None,
        description="Key of the session cookies; unset: the one `make run` generated under "
        "<data_dir>/secrets (every gateway replica must share it).",
    )
    web_session_hours: float = Field(
        8.0, gt=0, description="Hours a web session lasts (never beyond its access token)."
    )
    web_reload_templates: bool = Field(
        False,
        description="Re-read a template when its file changed (while editing templates); "
        "off, each template is compiled once per process.",
    )

    log_level: str = Field("INFO", description="Logging level.")
    log_format: str = Field("json", description="json or text.")

    @field_validator("auth_algorithms")
    @classmethod
    def _algorithms_are_asymmetric(cls, value: list[str]):
        refused = [a for a in value if a not in ASYMMETRIC_ALGORITHMS]
        if refused or not value:
            raise ValueError(
                f"token algorithms must be among {', '.join(ASYMMETRIC_ALGORITHMS)}; "
                f"refused: {refused or 'an empty list'}"
            )
        return value

    @field_validator("webhook_secrets")
    @classmethod
    def _secrets_are_standard(cls, value: dict[str, list[SecretStr]]):
        for source, secrets in value.items():
            if not SOURCE_NAME.fullmatch(source) or source in RESERVED_SOURCES:
                raise ValueError(f"webhook source name {source!r} is not allowed")
            if not secrets:
                raise ValueError(f"webhook source {source!r} has no secret")
            for secret in secrets:
                secret_key(secret.get_secret_value())  # raises on a malformed secret
        return value

    def webhook_sources(self) -> dict[str, str]:
        """Every configured webhook source and its payload adapter."""
        return {
            source: self.webhook_source_adapters.get(source, source)
            for source in self.webhook_secrets
        }

    def webhook_keys(self, source: str) -> list[bytes]:
        return [secret_key(s.get_secret_value()) for s in self.webhook_secrets.get(source, [])]

    def database_url(self, service: str) -> str:
        """The configured URL for a service, or its own SQLite file under data_dir."""
        url = getattr(self, f"{service}_database_url", None)
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.sqlite3').as_posix()}"
        return normalise_database_url(url)

    def http_port(self, service: str) -> int:
        return getattr(self, f"{service}_port")


SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
RESERVED_SOURCES = {"deliveries"}  # a path of its own under /v1/webhooks


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: `whsec_` then base64 of the key bytes."""
    if not secret.startswith("whsec_"):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        encoded = secret.removeprefix("whsec_")
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    if len(key) < 24:
        raise ValueError("a webhook secret holds at least 24 random bytes")
    return key


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
