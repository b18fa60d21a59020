"""Rapport's configuration: one pydantic-settings model of sections, read from RAPPORT_*.

A field `f` of section `s` (`settings.s.f`) is read from RAPPORT_<S>_<F>: the first word
after the prefix names the section, the rest the field (RAPPORT_HEALTH_HALF_LIFE_DAYS sets
`settings.health.half_life_days`). The fields at the root, read from RAPPORT_<FIELD>, are
the ones every process shares. In code: `Settings(health={"model": "v1"}, data_dir=path)`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .identity import ASYMMETRIC_ALGORITHMS, AuthSettings, IssuerSettings, WebSettings
from .platform import (
    RESERVED_SOURCES,
    SOURCE_NAME,
    AggregatorSettings,
    ConnectionsSettings,
    EventsSettings,
    GatewaySettings,
    LogSettings,
    NatsSettings,
    OutboxSettings,
    ProfilesSettings,
    WebhookSettings,
    secret_key,
)
from .scoring import (
    BalanceSettings,
    ContentSettings,
    HealthSettings,
    InsightsSettings,
    NudgeSettings,
    StrengthSettings,
    SuggestionSettings,
    TrustSettings,
)

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "RESERVED_SOURCES",
    "SERVICES",
    "SOURCE_NAME",
    "Settings",
    "get_settings",
    "normalise_database_url",
    "secret_key",
    "variables",
]

SERVICES = ("profiles", "connections", "content", "events", "aggregator")
"""The back-end services, each its own process with its own database."""

PREFIX = "RAPPORT_"
ALIASES = {"NATS_URL": ("nats", "url")}
"""Variables read besides RAPPORT_*: NATS_URL, the one NATS tools use (RAPPORT_NATS_URL wins)."""


class Settings(BaseSettings):
    # extra="forbid": a keyword that names no field (a flat name of old) is an error, not ignored.
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_nested_delimiter="_", env_nested_max_split=1, extra="forbid"
    )

    # The bus and the processes
    nats: NatsSettings = Field(default_factory=NatsSettings)
    data_dir: Path = Field(Path("var"), description="Where SQLite files and NATS data live.")
    host: str = Field("127.0.0.1", description="Interface every HTTP listener binds to.")
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    profiles: ProfilesSettings = Field(default_factory=ProfilesSettings)
    connections: ConnectionsSettings = Field(default_factory=ConnectionsSettings)
    content: ContentSettings = Field(default_factory=ContentSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    aggregator: AggregatorSettings = Field(default_factory=AggregatorSettings)

    request_timeout: float = Field(5.0, description="Seconds the gateway waits for a service.")
    max_body_bytes: int = Field(64 * 1024, description="Largest accepted HTTP request body.")

    stream_replicas: int = Field(1, description="Replicas of every JetStream stream.")
    duplicate_window: float = Field(120.0, description="JetStream dedupe window, seconds.")
    max_deliveries: int = Field(5, description="Attempts at one message before dead-letter.")
    retry_backoff: list[float] = Field(
        [0.5, 2.0, 5.0, 15.0], description="Delay before each redelivery, seconds."
    )
    ack_wait: float = Field(30.0, description="Seconds before an unacked message is redelivered.")
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
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

    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    meeting_future_tolerance: float = Field(
        300.0, description="Seconds a meeting or check-in may lie in the future (clock skew)."
    )

    # The scores
    health: HealthSettings = Field(default_factory=HealthSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    balance: BalanceSettings = Field(default_factory=BalanceSettings)
    nudge: NudgeSettings = Field(default_factory=NudgeSettings)
    insights: InsightsSettings = Field(default_factory=InsightsSettings)
    cursor_secret: SecretStr | None = Field(
        None,
        description="Key signing pagination cursors; unset: content generates one at first "
        "start and keeps it in its database.",
    )
    strength: StrengthSettings = Field(default_factory=StrengthSettings)
    suggestion: SuggestionSettings = Field(default_factory=SuggestionSettings)

    # Sign-in
    auth: AuthSettings = Field(default_factory=AuthSettings)
    issuer: IssuerSettings = Field(default_factory=IssuerSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    log: LogSettings = Field(default_factory=LogSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        aliases = AliasSource(settings_cls)
        return init_settings, env_settings, aliases, dotenv_settings, file_secret_settings

    def database_url(self, service: str) -> str:
        """The configured URL for a service, or its own SQLite file under data_dir."""
        url = getattr(self, service).database_url
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.sqlite3').as_posix()}"
        return normalise_database_url(url)

    def http_port(self, service: str) -> int:
        return getattr(self, service).port


class AliasSource(PydanticBaseSettingsSource):
    """The variables of ALIASES, below RAPPORT_* in priority."""

    def get_field_value(self, field, field_name):  # unused: __call__ reads the aliases
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        environment = {name.upper(): value for name, value in os.environ.items()}
        found: dict[str, Any] = {}
        for alias, (section, name) in ALIASES.items():
            if alias in environment:
                found.setdefault(section, {})[name] = environment[alias]
        return found


def variables() -> dict[str, str]:
    """Every environment variable Settings reads, and the setting it sets ("health.model")."""
    names = {alias: ".".join(path) for alias, path in ALIASES.items()}
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            for inner in section.model_fields:
                names[f"{PREFIX}{name}_{inner}".upper()] = f"{name}.{inner}"
        else:
            names[f"{PREFIX}{name}".upper()] = name
    return names


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
