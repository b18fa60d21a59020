"""aggregator_state, and a fresh projection generation (issue 9).

`aggregator_state` keeps the service's own small values (the cursor key).

The projection's generation tables (`*_g<n>`) are not in the revisions (the aggregator makes
them), but this release changed them: columns were added (members_g<n>.event_id,
relation_facts_g<n>.deleted, member_sums_g<n>.as_of) and the float sums are now the sums as
they stood at their last contribution rather than anchored at the epoch. Altering the old
tables would give the new code numbers that mean something else, so their data cannot be
carried over: it is replayed from the streams. This revision therefore

- makes generation live+1 the live one (its tables are created, with the new shape, when the
  aggregator starts; until `make rebuild` replays the streams into a further generation it
  holds only what arrives after the upgrade),
- keeps the old live generation's tables untouched (a downgrade goes back to them; the next
  rebuild drops them, as it drops every retired generation),
- drops every other generation (retired ones, and a rebuild that was in progress) and
  forgets the replay inbox entries of the generations it drops.

docs/operations.md ("Upgrading") tells operators to run `make rebuild` after this upgrade.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a projection table of one generation (services/aggregator/projection/tables.py); the same
# rule as shared.migrations.EXCLUDED_TABLES, spelled out here so the revision never changes
GENERATION_TABLE = re.compile(r"^(.+)_g(\d+)$")

generations = sa.table(
    "projection_generation",
    sa.column("id", sa.Integer),
    sa.column("live", sa.Integer),
    sa.column("building", sa.Integer),
)
inbox = sa.table("inbox", sa.column("consumer", sa.String))


def generation_tables() -> dict[int, list[str]]:
    """The tables of every generation in the database, by generation."""
    found: dict[int, list[str]] = {}
    for name in sa.inspect(op.get_bind()).get_table_names():
        if match := GENERATION_TABLE.match(name):
            found.setdefault(int(match[2]), []).append(name)
    return found


def drop_generation(tables: list[str], generation: int) -> None:
    for name in tables:
        op.drop_table(name)
    # the replay's inbox entries of that generation (services/aggregator/state.py)
    op.execute(inbox.delete().where(inbox.c.consumer == f"rebuild-g{generation}"))


def upgrade() -> None:
    op.create_table(
        "aggregator_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )

    bind = op.get_bind()
    row = bind.execute(sa.select(generations).order_by(generations.c.id)).first()
    found = generation_tables()
    if row is None and not found:
        return  # the aggregator never started here: it makes generation 1 when it does
    live = row.live if row is not None else max(found)
    for generation, tables in sorted(found.items()):
        if generation != live:
            drop_generation(tables, generation)
    fresh = live + 1
    op.execute(inbox.delete().where(inbox.c.consumer == f"rebuild-g{fresh}"))
    if row is None:
        op.execute(generations.insert().values(id=1, live=fresh, building=None))
    else:
        op.execute(generations.update().values(live=fresh, building=None))


def downgrade() -> None:
    bind = op.get_bind()
    row = bind.execute(sa.select(generations).order_by(generations.c.id)).first()
    if row is not None:
        # back to the generation this revision kept; the one made since has the new shape
        drop_generation(generation_tables().get(row.live, []), row.live)
        op.execute(generations.update().values(live=max(row.live - 1, 1), building=None))
    op.drop_table("aggregator_state")
