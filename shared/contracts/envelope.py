"""The versioned event envelope: CloudEvents 1.0 attributes around a typed payload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Base of every event payload. Subclasses name their type, domain and schema version.

    Consumers are tolerant readers: fields they do not know are ignored, so a producer can
    add an optional field without a new schema version. Removing or changing a field needs
    a new `schema_version` (and a new event model beside the old one).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: ClassVar[str]
    domain: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def entity(self) -> str:
        """The CloudEvents `subject`: the id of the thing the event is about."""
        raise NotImplementedError


class Envelope(BaseModel):
    """What travels on JetStream. `id` is also the `Nats-Msg-Id` used for dedupe.

    Unknown attributes (CloudEvents extensions a newer producer adds) are ignored."""

    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=100)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: int = Field(ge=1)
    data: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event, *, source: str, time: datetime | None = None) -> Envelope:
        return cls(
            id=uuid.uuid4().hex,
            source=source,
            type=event.type,
            time=time or datetime.now(UTC),
            subject=event.entity(),
            schemaversion=event.schema_version,
            data=event.model_dump(mode="json"),
        )
