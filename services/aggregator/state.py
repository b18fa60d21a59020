"""The aggregator's own state, outside the projection's generations: which generation is
live (and which one a rebuild is filling), which health model each generation was built
with, the key that signs its cursors, and the lock that serializes the projection's writes
across instances."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import UnitOfWork

from .model import V1, HealthModel
from .projection import Projection, ProjectionTables, generations, service_state


async def generation_state(session: AsyncSession) -> tuple[int, int | None]:
    """(live generation, generation being rebuilt or None)."""
    row = (await session.execute(select(generations).where(generations.c.id == 1))).first()
    return (row.live, row.building) if row else (1, None)


async def ensure_generation_row(session: AsyncSession, model: str | None = None) -> None:
    """The first start makes generation 1 live, built with `model` (the configured one)."""
    if (await session.execute(select(generations.c.id))).first() is None:
        await session.execute(insert(generations).values(id=1, live=1, building=None))
        if model is not None:
            await record_generation_model(session, 1, model)


def _model_key(generation: int) -> str:
    return f"model_g{generation}"


async def generation_model(session: AsyncSession, generation: int) -> str:
    """The health model a generation was built with; a generation made before models were
    recorded is v1's (the only model then)."""
    s = service_state
    found = await session.scalar(select(s.c.value).where(s.c.name == _model_key(generation)))
    return found or V1


async def record_generation_model(session: AsyncSession, generation: int, model: str) -> None:
    s = service_state
    await session.execute(delete(s).where(s.c.name == _model_key(generation)))
    await session.execute(insert(s).values(name=_model_key(generation), value=model))


async def set_generations(session: AsyncSession, *, live: int, building: int | None) -> None:
    await session.execute(
        update(generations).where(generations.c.id == 1).values(live=live, building=building)
    )


# Transaction-scoped advisory lock key of the projection's writes (PostgreSQL).
PROJECTION_LOCK = 0x52_41_50_41  # "RAPA"


async def lock_projection(session: AsyncSession, *, shared: bool = False) -> None:
    """Order the projection's write transactions across instances sharing a PostgreSQL
    database; held until commit or rollback. With SQLite (one instance, one writer) there
    is nothing to do.

    A batch of interactions only (`shared`) adds deltas to sums (commutative upserts that
    read nothing first), so such batches run at once under the shared lock. Anything that
    reads what it then writes, or that interactions depend on (copies of members and facts,
    blocks and erasures, check-ins and co-attendance, events), takes it exclusively: it then
    sees every batch before it whole and no batch sees it half done (an interaction applied
    while its member is being erased, or its pair being blocked)."""
    if session.bind.dialect.name == "postgresql":
        lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await session.execute(text(f"SELECT {lock}(:key)"), {"key": PROJECTION_LOCK})


async def lock_schema(connection: AsyncConnection) -> None:
    """The same lock for creating a generation's tables, so that instances starting together
    do not race to create them."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROJECTION_LOCK}
        )


def rebuild_inbox(generation: int) -> str:
    return f"rebuild-g{generation}"


class Models:
    """The health model of each generation: the one it was built with (recorded by the
    first start or by the rebuild that made it), whatever the configuration says now, so a
    rebuild can turn a projection into another model while the old one keeps serving."""

    def __init__(self, by_version: dict[str, HealthModel]) -> None:
        self.by_version = by_version
        self._of: dict[int, HealthModel] = {}  # a generation's model never changes

    async def of(self, session, generation: int) -> HealthModel:
        if generation not in self._of:
            self._of[generation] = self.by_version[await generation_model(session, generation)]
        return self._of[generation]

    def forget(self, generation: int) -> None:
        self._of.pop(generation, None)


async def live_projection(uow: UnitOfWork, models: Models) -> Projection:
    live, _ = await generation_state(uow.session)
    return Projection(uow.session, ProjectionTables.of(live), await models.of(uow.session, live))
