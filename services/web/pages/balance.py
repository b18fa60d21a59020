"""Balance: the online and offline share of the last 8 weeks, with the balanced band."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import charts
from ..session import ViewerDep
from ..templating import render

router = APIRouter()

WEEKS = 8


@router.get("/balance", name="balance_page")
async def balance(request: Request, viewer: ViewerDep) -> Response:
    found = await viewer.api.get(f"/members/{viewer.member_id}/balance")
    low, high = request.app.state.web.settings.balance.bounds
    weeks = found["weeks"][-WEEKS:]
    return render(
        request,
        "balance/page.html",
        viewer,
        balance=found,
        weeks=weeks,
        band=(low, high),
        chart=charts.balance_chart(weeks, (low, high)),
    )
