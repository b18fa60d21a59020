"""The copies of relation facts as SQL conditions, for listings that leave out blocked
members and follow connections."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, select

from .domain import BLOCKS
from .tables import FactRow


def facts(member_id: str, aspect: str) -> Select:
    """The members `member_id` is connected to, follows or blocks (by `aspect`)."""
    return select(FactRow.other_id).where(
        FactRow.member_id == member_id, FactRow.aspect == aspect, FactRow.active.is_(True)
    )


def blocking(member_id: str) -> Select:
    """The members who block `member_id`."""
    return select(FactRow.member_id).where(
        FactRow.other_id == member_id, FactRow.aspect == BLOCKS, FactRow.active.is_(True)
    )


def not_blocked_with(viewer_id: str, column) -> ColumnElement[bool]:
    """`column` names a member neither blocking nor blocked by the viewer."""
    return and_(column.not_in(facts(viewer_id, BLOCKS)), column.not_in(blocking(viewer_id)))
