"""The home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..session import ViewerDep
from ..templating import render

router = APIRouter()


@router.get("/", name="home")
async def home_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "home/page.html", viewer)
