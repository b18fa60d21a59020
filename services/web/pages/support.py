"""What the pages of feed, groups, messages and events share: who a member id is (for pages
that only have ids: attendees, participants, a conversation's other member), and the status
of a page that shows an API error in words."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from fastapi import Request

from ..api import Api, ApiError

GONE = {"handle": None, "name": "a former member"}


async def cards(api: Api, member_ids: Iterable[str]) -> dict[str, dict]:
    """member id -> {member_id, handle, name}; an erased or unknown member reads as gone."""
    unique = list(dict.fromkeys(member_ids))
    found = await asyncio.gather(*(_card(api, member_id) for member_id in unique))
    return dict(zip(unique, found, strict=True))


async def _card(api: Api, member_id: str) -> dict:
    try:
        member = await api.get(f"/members/{member_id}")
    except ApiError as error:
        if error.status != 404:
            raise
        return {"member_id": member_id} | GONE
    return {"member_id": member_id, "handle": member.get("handle"), "name": member.get("name")}


def error_status(request: Request, error: ApiError | None) -> int:
    """A page showing an API error answers with its status; but htmx swaps in only 2xx
    answers, so a partial carrying the error in words is a 200."""
    if error is None or request.headers.get("HX-Request"):
        return 200
    return error.status
