"""Rapport's configuration: one pydantic-settings model, every variable prefixed RAPPORT_."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("profiles", "connections", "content", "aggregator")
"""The back-end services, each its own process with its own database."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        validation_alias=AliasChoices("RAPPORT_NATS_URL", "NATS_URL"),
        description="NATS server(s), comma separated.",
    )
    data_dir: Path = Field(Path("var"), description="Where SQLite files and NATS data live.")

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

    trust_connected: float = Field(1.0, description="Trust T of a connected pair.")
    trust_follow: float = Field(0.5, description="Trust T when either member follows the other.")

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

    log_level: str = Field("INFO", description="Logging level.")
    log_format: str = Field("json", description="json or text.")

    def database_url(self, service: str) -> str:
        """The configured URL for a service, or its own SQLite file under data_dir."""
        url = getattr(self, f"{service}_database_url", None)
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.sqlite3').as_posix()}"
        return normalise_database_url(url)

    def http_port(self, service: str) -> int:
        return getattr(self, f"{service}_port")


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
