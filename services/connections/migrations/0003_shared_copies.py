"""Copies on shared.copies, RSVPs and check-ins apart, pairs with a version (issue 9).

Hand-written so that every row is kept with its meaning:

- the copies (members, groups, group_memberships, gatherings) keep their version as
  `as_of` plus `event_id` (the old `version_id` held the event id), and a `deleted` flag;
  a gathering's `cancelled` becomes its `deleted` (a cancellation is the copy's erasure),
  and a gathering cancelled before it was described gets the oldest version there is;
- `attendance` held an answer and a check-in per (event, member): the answer goes to
  `rsvps` (with its own version), the check-in to `check_ins`, then the table goes;
- `pairs.version` is 1 for every existing pair (0 means "no row yet" to the code).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def add_column_from(table: str, name: str, kind: sa.types.TypeEngine, value: Any) -> None:
    """A NOT NULL column filled from the existing rows: added nullable, set, then made
    NOT NULL (works on SQLite's table copy and PostgreSQL's ALTER alike)."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column(name, kind, nullable=True))
    op.execute(sa.table(table, sa.column(name)).update().values({name: value}))
    with op.batch_alter_table(table) as batch:
        batch.alter_column(name, existing_type=kind, nullable=False)


def old_column(name: str) -> sa.ColumnElement:
    """A column of the row being updated (unqualified: the UPDATE has one table)."""
    return sa.literal_column(name)


def oldest() -> datetime:
    """The version of a row that never had one: older than any fact."""
    moment = datetime(1970, 1, 1, tzinfo=UTC)
    return moment if op.get_bind().dialect.name == "postgresql" else moment.replace(tzinfo=None)


def upgrade() -> None:
    for name in ("members", "groups", "group_memberships", "gatherings"):
        add_column_from(
            name, "event_id", sa.String(64), sa.func.coalesce(old_column("version_id"), "")
        )
    for name in ("groups", "group_memberships"):
        add_column_from(name, "deleted", sa.Boolean(), sa.false())
    gatherings = sa.table("gatherings", sa.column("as_of", sa.DateTime(timezone=True)))
    add_column_from("gatherings", "deleted", sa.Boolean(), old_column("cancelled"))
    # cancelled before it was described: a tombstone with no version yet
    op.execute(
        gatherings.update()
        .where(gatherings.c.as_of.is_(None))
        .values(as_of=sa.literal(oldest(), sa.DateTime(timezone=True)))
    )

    with op.batch_alter_table("members") as batch:
        batch.drop_column("version_id")
        # erasure now clears the profile fields to NULL (shared.copies)
        for column, kind in (
            ("headline", sa.String(200)),
            ("keywords", sa.JSON()),
            ("skills", sa.JSON()),
            ("accomplishments", sa.JSON()),
            ("goals", sa.JSON()),
        ):
            batch.alter_column(column, existing_type=kind, nullable=True)
    for name in ("groups", "group_memberships"):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("version_id")
    with op.batch_alter_table("gatherings") as batch:
        batch.alter_column("as_of", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_column("cancelled")
        batch.drop_column("version_id")

    add_column_from("pairs", "version", sa.Integer(), 1)

    rsvps = op.create_table(
        "rsvps",
        sa.Column("gathering_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("rsvp", sa.String(length=16), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("gathering_id", "member_id"),
    )
    with op.batch_alter_table("rsvps") as batch:
        batch.create_index("ix_rsvps_member_id", ["member_id"], unique=False)
    check_ins = op.create_table(
        "check_ins",
        sa.Column("gathering_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("gathering_id", "member_id"),
    )
    with op.batch_alter_table("check_ins") as batch:
        batch.create_index("ix_check_ins_member_id", ["member_id"], unique=False)

    attendance = sa.table(
        "attendance",
        sa.column("event_id", sa.String),
        sa.column("member_id", sa.String),
        sa.column("rsvp", sa.String),
        sa.column("rsvp_as_of", sa.DateTime(timezone=True)),
        sa.column("rsvp_version_id", sa.String),
        sa.column("checked_in", sa.Boolean),
    )
    # an answer was written with its version, together: a row without one has no answer
    op.execute(
        rsvps.insert().from_select(
            ["gathering_id", "member_id", "rsvp", "deleted", "as_of", "event_id"],
            sa.select(
                attendance.c.event_id,
                attendance.c.member_id,
                attendance.c.rsvp,
                sa.false(),
                attendance.c.rsvp_as_of,
                sa.func.coalesce(attendance.c.rsvp_version_id, ""),
            ).where(attendance.c.rsvp.is_not(None), attendance.c.rsvp_as_of.is_not(None)),
        )
    )
    op.execute(
        check_ins.insert().from_select(
            ["gathering_id", "member_id"],
            sa.select(attendance.c.event_id, attendance.c.member_id).where(
                attendance.c.checked_in.is_(True)
            ),
        )
    )
    with op.batch_alter_table("attendance") as batch:
        batch.drop_index("ix_attendance_member_id")
    op.drop_table("attendance")


def downgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("rsvp", sa.String(length=16), nullable=True),
        sa.Column("rsvp_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rsvp_version_id", sa.String(length=64), nullable=True),
        sa.Column("checked_in", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "member_id"),
    )
    with op.batch_alter_table("attendance") as batch:
        batch.create_index("ix_attendance_member_id", ["member_id"], unique=False)
    op.execute(
        "INSERT INTO attendance (event_id, member_id, rsvp, rsvp_as_of, rsvp_version_id,"
        " checked_in) SELECT r.gathering_id, r.member_id, r.rsvp, r.as_of, r.event_id,"
        " c.member_id IS NOT NULL FROM rsvps r LEFT JOIN check_ins c"
        " ON c.gathering_id = r.gathering_id AND c.member_id = r.member_id"
    )
    op.execute(
        "INSERT INTO attendance (event_id, member_id, checked_in) SELECT c.gathering_id,"
        " c.member_id, TRUE FROM check_ins c WHERE NOT EXISTS (SELECT 1 FROM rsvps r"
        " WHERE r.gathering_id = c.gathering_id AND r.member_id = c.member_id)"
    )
    op.drop_table("rsvps")
    op.drop_table("check_ins")

    with op.batch_alter_table("pairs") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("gatherings") as batch:
        batch.add_column(sa.Column("cancelled", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("version_id", sa.String(length=64), nullable=True))
        batch.alter_column("as_of", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.execute("UPDATE gatherings SET cancelled = deleted, version_id = event_id")
    with op.batch_alter_table("gatherings") as batch:
        batch.alter_column("cancelled", existing_type=sa.Boolean(), nullable=False)
        batch.drop_column("deleted")
        batch.drop_column("event_id")
    for name in ("members", "groups", "group_memberships"):
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("version_id", sa.String(length=64), nullable=True))
        op.execute(f"UPDATE {name} SET version_id = event_id")
        with op.batch_alter_table(name) as batch:
            batch.alter_column("version_id", existing_type=sa.String(64), nullable=False)
            batch.drop_column("event_id")
            if name != "members":
                batch.drop_column("deleted")
    op.execute(
        "UPDATE members SET headline = COALESCE(headline, ''), keywords = COALESCE(keywords,"
        " '[]'), skills = COALESCE(skills, '[]'), accomplishments = COALESCE(accomplishments,"
        " '[]'), goals = COALESCE(goals, '[]')"
    )
    with op.batch_alter_table("members") as batch:
        for column, kind in (
            ("headline", sa.String(200)),
            ("keywords", sa.JSON()),
            ("skills", sa.JSON()),
            ("accomplishments", sa.JSON()),
            ("goals", sa.JSON()),
        ):
            batch.alter_column(column, existing_type=kind, nullable=False)
