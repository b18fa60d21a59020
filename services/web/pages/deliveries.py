"""Webhook deliveries for operators: the failed ones with their reasons, and replay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import ApiError
from ..forms import CsrfForm
from ..session import RoleDep, Viewer
from ..templating import render

router = APIRouter()
Operator = RoleDep("operator")
STATUSES = ("failed", "normalised")


@router.get("/deliveries", name="deliveries_page")
async def deliveries(
    request: Request,
    viewer: Operator,
    status: str = "failed",
    source: str | None = None,  # the API checks it: a refusal is said next to the field
    cursor: str | None = None,
) -> HTMLResponse:
    chosen = status if status in STATUSES else "failed"
    return await _page(request, viewer, status=chosen, source=source, cursor=cursor)


@router.post("/deliveries/{delivery_id}/replay", name="deliveries_replay")
async def replay(request: Request, viewer: Operator, delivery_id: str, form: CsrfForm) -> Response:
    """Normalise a delivery again; the page then says how it went (PRG)."""
    try:
        after = await viewer.api.post(f"/webhooks/deliveries/{delivery_id}/replay")
    except ApiError as error:
        if error.status >= 500 and error.status != 503:
            raise
        return await _page(request, viewer, refused={delivery_id: error})
    where = request.url_for("deliveries_page").path
    return RedirectResponse(f"{where}?replayed={delivery_id}&outcome={after['status']}", 303)


async def _page(
    request: Request,
    viewer: Viewer,
    *,
    status: str = "failed",
    source: str | None = None,
    cursor: str | None = None,
    refused: dict[str, ApiError] | None = None,
) -> HTMLResponse:
    try:
        page = await viewer.api.get(
            "/webhooks/deliveries", status=status, source=source or None, cursor=cursor, limit=50
        )
    except ApiError as error:
        if error.status not in (400, 422):
            raise
        page, refused = {"items": [], "next_cursor": None}, {"filters": error}
    replayed = request.query_params.get("replayed")
    outcome = request.query_params.get("outcome")
    error = next(iter(refused.values())) if refused else None
    return render(
        request,
        "deliveries/index.html",
        viewer,
        status_code=error.status if error else 200,
        status=status,
        source=source or "",
        items=page["items"],
        next_cursor=page["next_cursor"],
        replayed=replayed,
        outcome=outcome if outcome in ("normalised", "failed") else None,
        refused=refused or {},
    )
