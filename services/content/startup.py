"""What content prepares at start-up: the key that signs its cursors (kept in its database,
so that restarts and replicas accept each other's cursors, unless RAPPORT_CURSOR_SECRET is
set), and every post scored again when the value rules changed since they were scored."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from shared.cursors import kept_key
from shared.db import KeptValues, UnitOfWork

from .base import Base
from .context import Context
from .posts.store import Posts

RESCORE_BATCH = 500


class StateRow(Base):
    """Small values the service keeps for itself: the cursor key, the scoring signature."""

    __tablename__ = "service_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


async def prepare(context: Context, uow: UnitOfWork) -> None:
    """Load (or create) the cursor key; score every post again if the value rules changed."""
    try:
        await _prepare(context, uow)
    except IntegrityError:  # another replica prepared at the same moment: use its key
        await uow.session.rollback()
        await _prepare(context, uow)


async def _prepare(context: Context, uow: UnitOfWork) -> None:
    state = KeptValues(uow.session, StateRow.__table__)
    context.cursors.key = await kept_key(state, context.config.cursor_secret)
    signature = context.rules.signature()
    if await state.get("value_rules") != signature:
        posts, after = Posts(uow.session), None
        while batch := await posts.all_ids(after, RESCORE_BATCH):
            await posts.rescore(batch, context.rules)
            after = batch[-1]
        await state.put("value_rules", signature)
    await uow.commit()
