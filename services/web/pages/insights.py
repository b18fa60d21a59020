"""The people team's insights (role analyst): the org's and a team's network as charts. A
team below the minimum size is not shown: the API refuses it, and the page says why."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .. import charts
from ..api import ApiError
from ..session import RoleDep
from ..templating import render

router = APIRouter()
Analyst = RoleDep("analyst")

STATUSES = ("thriving", "steady", "fading", "dormant")
BALANCES = ("online_heavy", "balanced", "offline_heavy", "inactive")


@router.get("/insights", name="insights_page")
async def insights(
    request: Request,
    viewer: Analyst,
    team: str | None = None,  # the API checks it (and says what is wrong with it)
) -> HTMLResponse:
    org = figures(await viewer.api.get("/insights/org"))
    team_figures, suppressed = None, None
    if team and team.strip():
        try:
            team_figures = figures(
                await viewer.api.get(f"/insights/teams/{quote(team.strip(), safe='')}")
            )
        except ApiError as error:
            if error.status not in (403, 404, 422):
                raise
            suppressed = error  # below the minimum, or not a team name: said in words
    return render(
        request,
        "insights/index.html",
        viewer,
        org=org,
        team=(team or "").strip(),
        team_figures=team_figures,
        suppressed=suppressed,
    )


def figures(answer: dict) -> dict:
    """An insights answer with its charts."""
    members, isolated = answer["members"], answer["isolated_members"]
    pairs = answer["pairs_by_status"]
    balances = answer["members_by_balance"]
    return answer | {
        "charts": {
            "pairs": charts.bars(
                [(s, pairs.get(s, 0)) for s in STATUSES], "pairs", title="Pairs by status"
            ),
            "balance": charts.bars(
                [(b.replace("_", " "), balances.get(b, 0)) for b in BALANCES],
                "members",
                title="Members by online/offline balance",
            ),
            "isolated": charts.bars(
                [("isolated", isolated), ("not isolated", max(0, members - isolated))],
                "members",
                title="Members without a steady or thriving relationship",
            ),
            "trend": charts.trend(answer["weekly_trend"]),
        }
    }
