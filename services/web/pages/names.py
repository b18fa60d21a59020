"""Who the members a member's pages name are, in as few API calls as possible: the member's
connections come with their handle and name (one call); only the others are looked up one
by one."""

from __future__ import annotations

from collections.abc import Iterable

from ..session import Viewer
from .support import cards


async def named(
    viewer: Viewer, member_ids: Iterable[str], connections: dict | None = None
) -> dict[str, dict]:
    """member id -> {member_id, handle, name}, as support.cards gives them. `connections`:
    the viewer's, if the page fetched them already (with its other calls, at once)."""
    wanted = list(dict.fromkeys(member_ids))
    if not wanted:
        return {}
    if connections is None:
        connections = await viewer.api.get(f"/members/{viewer.member_id}/connections")
    known = {
        c["member_id"]: {"member_id": c["member_id"], "handle": c["handle"], "name": c["name"]}
        for c in connections["items"]
        if c["member_id"] in wanted and c.get("handle")
    }
    return known | await cards(viewer.api, [m for m in wanted if m not in known])
