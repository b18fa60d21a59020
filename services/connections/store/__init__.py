"""Connections' tables and repositories, a module each: its copies of members (with the
profile fields suggestions need), groups, group memberships, events and RSVPs, fed by events
and kept by shared/copies.py (one last-writer-wins rule, tombstones); check-ins; its own
pairs, requests and dismissed suggestions; and the change feed that keeps the suggestion index
in step with all of them. Importing the package puts every table on `Base.metadata`."""

from __future__ import annotations

from .base import Base
from .dismissals import Dismissals, not_to_suggest
from .gatherings import Gatherings
from .groups import Groups
from .members import PERSONAL_FIELDS, Members
from .pairs import Pairs

__all__ = [
    "PERSONAL_FIELDS",
    "Base",
    "Dismissals",
    "Gatherings",
    "Groups",
    "Members",
    "Pairs",
    "not_to_suggest",
]
