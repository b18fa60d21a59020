"""Small values the service keeps for itself (the cursor key)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class StateRow(Base):
    """Small values the service keeps for itself: the cursor key."""

    __tablename__ = "service_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class State:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> str | None:
        row = await self.session.get(StateRow, name)
        return row.value if row else None

    async def put(self, name: str, value: str) -> None:
        row = await self.session.get(StateRow, name)
        if row is None:
            self.session.add(StateRow(name=name, value=value))
        else:
            row.value = value
        await self.session.flush()
