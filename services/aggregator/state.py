"""The aggregator's own state, outside the projection's generations: which generation is
live (and which one a rebuild is filling), and the key that signs its cursors."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .projection import generations, service_state


async def generation_state(session: AsyncSession) -> tuple[int, int | None]:
    """(live generation, generation being rebuilt or None)."""
    row = (await session.execute(select(generations).where(generations.c.id == 1))).first()
    return (row.live, row.building) if row else (1, None)


async def ensure_generation_row(session: AsyncSession) -> None:
    if (await session.execute(select(generations.c.id))).first() is None:
        await session.execute(insert(generations).values(id=1, live=1, building=None))


async def set_generations(session: AsyncSession, *, live: int, building: int | None) -> None:
    await session.execute(
        update(generations).where(generations.c.id == 1).values(live=live, building=building)
    )


def rebuild_inbox(generation: int) -> str:
    return f"rebuild-g{generation}"


async def cursor_key(session: AsyncSession, secret: str | None) -> bytes:
    """The configured secret's key, else the one generated at first start and kept here (as
    the content service does)."""
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    s = service_state
    key = await session.scalar(select(s.c.value).where(s.c.name == "cursor_key"))
    if key is None:
        key = secrets.token_hex(32)
        await session.execute(insert(s).values(name="cursor_key", value=key))
    return bytes.fromhex(key)
