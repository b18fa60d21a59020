"""The relationships page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..session import ViewerDep
from ..templating import render

router = APIRouter()


@router.get("/relationships", name="relationships")
async def relationships_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "relationships/page.html", viewer)
