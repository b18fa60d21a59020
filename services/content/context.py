"""What every content handler shares: its configuration, the cursor key, the clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.contracts.envelope import Event
from shared.cursors import Cursors
from shared.db import UnitOfWork
from shared.settings import Settings

from .paging import parse_position
from .value import Clock, ValueRules


@dataclass(frozen=True)
class ContentConfig:
    rules: ValueRules
    max_mentions: int
    stats_window_days: float
    cursor_secret: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentConfig:
        return cls(
            rules=ValueRules(
                half_life_days=settings.content.half_life_days,
                reaction=settings.content.weight_reaction,
                comment=settings.content.weight_comment,
                share=settings.content.weight_share,
            ),
            max_mentions=settings.content.max_mentions,
            stats_window_days=settings.content.stats_window_days,
            cursor_secret=(
                settings.cursor_secret.get_secret_value() if settings.cursor_secret else None
            ),
        )


@dataclass
class Context:
    """The configuration and the cursor key (loaded at start-up, see startup.prepare)."""

    config: ContentConfig
    cursors: Cursors = field(default_factory=Cursors)

    @property
    def rules(self) -> ValueRules:
        return self.config.rules

    def clock(self) -> Clock:
        return Clock(now(), self.config.rules)

    def read_cursor(self, cursor: str | None, scope: str, shape: str) -> tuple | None:
        """The position a cursor of this listing points at (None: the first page)."""
        if cursor is None:
            return None
        return parse_position(self.cursors.read(cursor, scope), shape)

    def next_cursor(self, more: bool, scope: str, position: list[Any]) -> str | None:
        return self.cursors.issue(scope, position) if more else None


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


async def publish(uow: UnitOfWork, events: list[Event]) -> None:
    """Publish the events of a change and commit them with it (transactional outbox)."""
    for event in events:
        await uow.publish(event)
    await uow.commit()
