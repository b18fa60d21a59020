"""The small rules inside web2's pages: a meeting's times from the form, the insights'
charts from the API's figures, the status of a page showing an API error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.requests import Request

from services.web.api import ApiError
from services.web.pages import events, insights
from services.web.pages.support import error_status


def test_a_meeting_starts_at_the_forms_utc_minute_and_lasts_its_minutes():
    started, ended = events._meeting_times("2026-11-30T10:00", "45")
    assert started == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert (ended - started).total_seconds() == 45 * 60


@pytest.mark.parametrize(
    ("started_at", "minutes", "field"),
    [
        ("yesterday", "30", "started_at"),
        ("", "30", "started_at"),
        ("2026-11-30T10:00", "half an hour", "ended_at"),
        ("2026-11-30T10:00", "0", "ended_at"),
        ("2026-11-30T10:00", "1441", "ended_at"),
    ],
)
def test_a_meetings_times_that_make_no_sense_are_named_in_words(started_at, minutes, field):
    with pytest.raises(ApiError) as refused:
        events._meeting_times(started_at, minutes)
    assert refused.value.status == 422
    assert refused.value.field(field)


def test_insights_come_with_their_charts():
    answer = {
        "members": 7,
        "isolated_members": 5,
        "pairs_by_status": {"thriving": 1, "steady": 0, "fading": 2, "dormant": 0},
        "members_by_balance": {"online_heavy": 1, "balanced": 0, "offline_heavy": 2},
        "weekly_trend": [{"week": "2026-11-23", "online": 1.0, "offline": 3.0}],
    }
    shown = insights.figures(answer)
    assert shown["members"] == 7
    assert "Thriving: 1 pair; steady: 0 pairs; fading: 2 pairs" in shown["charts"]["pairs"]
    assert "inactive: 0 members" in shown["charts"]["balance"]  # missing from the answer: 0
    assert "Isolated: 5 members; not isolated: 2 members" in shown["charts"]["isolated"]
    assert "Week of 23 Nov: 1 online, 3 offline" in shown["charts"]["trend"]


def request(htmx: bool) -> Request:
    headers = [(b"hx-request", b"true")] if htmx else []
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers})


def test_a_page_showing_an_api_error_answers_its_status_but_an_htmx_partial_a_200():
    refused = ApiError(422, "Invalid", "body: too short", [{"field": "body", "message": "x"}])
    assert error_status(request(htmx=False), refused) == 422
    assert error_status(request(htmx=True), refused) == 200
    assert error_status(request(htmx=False), None) == 200
