"""The people page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..session import ViewerDep
from ..templating import render

router = APIRouter()


@router.get("/people", name="people")
async def people_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "people/page.html", viewer)
