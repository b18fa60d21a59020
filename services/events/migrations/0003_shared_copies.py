"""The members copy on shared.copies, versions for compare-and-set, service_state (issue 9).

Hand-written so that every row is kept:

- `members.event_id` (the copy's version is now `as_of` plus the fact's id): the previous
  release ordered member facts by time alone and kept no id, so existing copies get ""
  (below every id: a later fact at the same instant still wins);
- `version` of gatherings, attendances and meetings: 0, what the code gives a new row (each
  change bumps it);
- `service_state`, the service's own small values (the cursor key), starts empty.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def add_column_with(table: str, name: str, kind: sa.types.TypeEngine, value: str) -> None:
    """A NOT NULL column holding `value` in every existing row, added in place: SQLite's
    ALTER TABLE ADD COLUMN takes it with a default and copies no table (a copy of
    `gatherings` would drop the table that attendances and external_refs reference). The
    default is dropped where the database can (the code gives every new row its value)."""
    op.add_column(table, sa.Column(name, kind, nullable=False, server_default=value))
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(table, name, server_default=None, existing_type=kind)


def upgrade() -> None:
    op.create_table(
        "service_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    add_column_with("members", "event_id", sa.String(length=64), "")
    for table in ("gatherings", "attendances", "meetings"):
        add_column_with(table, "version", sa.Integer(), "0")


def downgrade() -> None:
    # in place, as upgrade (SQLite has DROP COLUMN since 3.35)
    for table in ("meetings", "attendances", "gatherings"):
        op.drop_column(table, "version")
    op.drop_column("members", "event_id")
    op.drop_table("service_state")
