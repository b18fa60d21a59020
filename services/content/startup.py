"""What content prepares at start-up: the key that signs its cursors (kept in its database,
so that restarts and replicas accept each other's cursors, unless RAPPORT_CURSOR_SECRET is
set), and every post scored again when the value rules changed since they were scored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UnitOfWork

from .base import Base
from .context import Context
from .posts.store import Posts

RESCORE_BATCH = 500


class StateRow(Base):
    """Small values the service keeps for itself: the cursor key, the scoring signature."""

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


async def prepare(context: Context, uow: UnitOfWork) -> None:
    """Load (or create) the cursor key; score every post again if the value rules changed."""
    try:
        await _prepare(context, uow)
    except IntegrityError:  # another replica prepared at the same moment: use its key
        await uow.session.rollback()
        await _prepare(context, uow)


async def _prepare(context: Context, uow: UnitOfWork) -> None:
    state = State(uow.session)
    secret = context.config.cursor_secret
    if secret:
        context.cursors.key = hashlib.sha256(secret.encode()).digest()
    else:
        key = await state.get("cursor_key")
        if key is None:
            key = secrets.token_hex(32)
            await state.put("cursor_key", key)
        context.cursors.key = bytes.fromhex(key)
    signature = context.rules.signature()
    if await state.get("value_rules") != signature:
        posts, after = Posts(uow.session), None
        while batch := await posts.all_ids(after, RESCORE_BATCH):
            await posts.rescore(batch, context.rules)
            after = batch[-1]
        await state.put("value_rules", signature)
    await uow.commit()
