"""The balance page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..session import ViewerDep
from ..templating import render

router = APIRouter()


@router.get("/balance", name="balance")
async def balance_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "balance/page.html", viewer)
