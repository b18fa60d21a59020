"""Relation facts on shared.copies: a `deleted` flag (issue 9).

Every existing fact is live: the previous release deleted the rows of an erased member
rather than keeping tombstones, so `deleted` is false for all of them.

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


def upgrade() -> None:
    with op.batch_alter_table("relation_facts") as batch:
        batch.add_column(sa.Column("deleted", sa.Boolean(), nullable=True))
    op.execute(sa.table("relation_facts", sa.column("deleted")).update().values(deleted=False))
    with op.batch_alter_table("relation_facts") as batch:
        batch.alter_column("deleted", existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("relation_facts") as batch:
        batch.drop_column("deleted")
