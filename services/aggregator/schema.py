"""The aggregator's tables in one place, for migrations (shared/migrations): the projection's
generation tables are excluded there (created by code, see projection/tables.py)."""

from .projection import metadata

__all__ = ["metadata"]
