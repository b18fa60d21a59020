"""What the content routes share: their router (each feature module adds its routes), paging
parameters, status codes, and the fields a client sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from shared.contracts.api import content as api

router = APIRouter(tags=["content"])

Limit = Annotated[int, Query(ge=1, le=100)]
CursorQuery = Annotated[api.Cursor | None, Query(description="`next_cursor` of the previous page.")]
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


def sent_fields(body) -> dict:
    """The fields the client sent, so that the service sees exactly the request."""
    return {name: getattr(body, name) for name in body.model_fields_set}
