"""The profile page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..session import ViewerDep
from ..templating import render

router = APIRouter()


@router.get("/profile", name="profile")
async def profile_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "profile/page.html", viewer)
