"""Signing in for the benchmarks whose members are synthetic.

Benchmarks seed an org straight into a service's database or its streams, with member ids
of their own; the gateway finds a caller's member from the token's subject through profiles
(`member_of_subject`). `bind` writes those members into profiles' own table, each bound to
the subject `handle`, while profiles runs (no event is published: the benchmark's facts
carry the members to the other services), so that a token minted for the handle acts as
that member, exactly as for a member registered through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import insert

from services.profiles.store import MemberRow
from shared.engines import make_engine


async def bind(
    database_url: str,
    handles: Mapping[str, str],
    profiles: Mapping[str, Mapping] | None = None,
) -> None:
    """Members `member id -> handle` in profiles' database, each bound to the subject
    `handle` (tokens minted for the handle act as the member), with their personal fields
    from `profiles` (member id -> fields) when given: profiles answers `personal_data` from
    them, as it would for members registered through the API."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    rows = [
        {
            "id": member_id,
            "handle": handle[:30],
            "name": handle,
            "email": f"{handle}@bench.example.org",
            "registered_at": now,
            "subject": handle,
            **(profiles or {}).get(member_id, {}),
        }
        for member_id, handle in handles.items()
    ]
    async with engine.begin() as db:
        for start in range(0, len(rows), 5_000):
            await db.execute(insert(MemberRow.__table__), rows[start : start + 5_000])
    await engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SignedIn:
    """The Authorization header of each synthetic member, a token minted once per member
    (`mint`: handle -> token, e.g. System.mint)."""

    def __init__(self, mint: Callable[[str], str], handles: Mapping[str, str]) -> None:
        self.mint = mint
        self.handles = handles
        self._headers: dict[str, dict[str, str]] = {}

    def __call__(self, member_id: str) -> dict[str, str]:
        if member_id not in self._headers:
            self._headers[member_id] = bearer(self.mint(self.handles[member_id]))
        return self._headers[member_id]
