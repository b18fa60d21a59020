"""IANA time zone names, checked against the tz database (the tzdata package)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone, else ValueError (a pydantic validator too)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris"
        ) from None
    return name
