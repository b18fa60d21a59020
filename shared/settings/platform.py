"""Sections of the settings for the platform: the bus, each service's database and port,
the outbox, the webhook edge, the logs."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class Section(BaseModel):
    """A group of settings; a field `f` of section `s` is read from RAPPORT_<S>_<F>."""

    # An environment variable that starts like a section's but names none of its fields is
    # ignored, as any other unknown RAPPORT_* variable is.
    model_config = ConfigDict(extra="ignore")


class NatsSettings(Section):
    url: str = Field("nats://127.0.0.1:4222", description="NATS server(s), comma separated.")
    monitor_urls: str = Field(
        "",
        description="Monitoring endpoints (http://host:8222) of the nats-servers, comma "
        "separated: the gateway exports their health and JetStream storage as metrics.",
    )
    auth: bool = Field(
        True,
        description="Connect to NATS with an identity, and let `make run` start nats-server "
        "with per-service permissions (docs/operations.md); `off` only for development: "
        "anonymous clients, no permissions.",
    )
    user: str | None = Field(
        None, description="NATS identity of this process; unset: the service's own name."
    )
    password: SecretStr | None = Field(None, description="Password of the NATS identity.")
    password_file: Path | None = Field(
        None,
        description="File holding the NATS password (a mounted secret); unset with no "
        "password: the one `make run` generated under <data_dir>/secrets.",
    )


class ServiceSettings(Section):
    """A back-end service's database and its metrics and health port."""

    database_url: str | None = Field(None, description="Database of the service.")
    port: int


class ProfilesSettings(ServiceSettings):
    port: int = Field(8101, description="Metrics and health port of profiles.")


class ConnectionsSettings(ServiceSettings):
    port: int = Field(8102, description="Metrics and health port of connections.")


class EventsSettings(ServiceSettings):
    port: int = Field(8104, description="Metrics and health port of events.")


class AggregatorSettings(ServiceSettings):
    port: int = Field(8105, description="Metrics and health port of the aggregator.")


class GatewaySettings(Section):
    port: int = Field(8000, description="Port of the HTTP API.")


class OutboxSettings(Section):
    poll_interval: float = Field(1.0, description="Outbox relay poll interval, seconds.")
    batch_size: int = Field(200, description="Outbox rows published per relay pass.")


class LogSettings(Section):
    level: str = Field("INFO", description="Logging level.")
    format: str = Field("json", description="json or text.")


SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
RESERVED_SOURCES = {"deliveries"}  # a path of its own under /v1/webhooks


class WebhookSettings(Section):
    secrets: dict[str, list[SecretStr]] = Field(
        {},
        description="Signing secrets per webhook source, JSON {source: [whsec_..., ...]}; "
        "every listed secret is valid (two while rotating). A source not listed is a 404.",
    )
    source_adapters: dict[str, str] = Field(
        {},
        description="Payload adapter of a source whose name is not an adapter's, "
        "JSON {source: adapter}.",
    )
    max_body_bytes: int = Field(256 * 1024, description="Largest webhook body.")
    tolerance: float = Field(300.0, description="Seconds a webhook-timestamp may be old or ahead.")
    rate: float = Field(
        200.0, description="Deliveries per second each source may sustain (429 above)."
    )
    burst: int = Field(1000, description="Deliveries a source may send at once.")
    publish_timeout: float = Field(
        5.0, description="Seconds the gateway waits for JetStream to store a delivery."
    )
    retention_days: float = Field(
        7.0,
        gt=0,
        description="Days raw webhook deliveries are kept (the WEBHOOKS stream's max age, and "
        "the events service's records of them, failed ones with their body): long enough to "
        "normalise, replay and recognise a sender's retries, no longer.",
    )

    @field_validator("secrets")
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

    def sources(self) -> dict[str, str]:
        """Every configured webhook source and its payload adapter."""
        return {source: self.source_adapters.get(source, source) for source in self.secrets}

    def signing_keys(self, source: str) -> list[bytes]:
        return [secret_key(s.get_secret_value()) for s in self.secrets.get(source, [])]


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
