"""A group's weekly trend releases a week only when enough of its members were active in it."""

from __future__ import annotations

from datetime import UTC, datetime

from services.aggregator.views import group_trend, trend, weeks_back

AT = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday


def test_a_week_with_fewer_active_members_than_the_minimum_is_withheld_with_its_reason():
    this_week, last_week = weeks_back(AT)[-1], weeks_back(AT)[-2]
    weeks = {this_week: (3.0, 1.0, 4), last_week: (10.0, 30.0, 5)}

    figures = {str(w.week): w for w in group_trend(weeks, AT, minimum=5)}

    withheld = figures[this_week]
    assert withheld.online is withheld.offline is withheld.offline_share is None
    assert withheld.active_members is None
    assert "fewer than 5 members were active" in withheld.suppressed
    released = figures[last_week]
    assert (released.online, released.offline, released.active_members) == (10.0, 30.0, 5)
    assert released.offline_share == 0.75
    assert released.suppressed is None


def test_weeks_nobody_was_active_in_are_withheld_too():
    figures = group_trend({}, AT, minimum=5)
    assert len(figures) == len(weeks_back(AT))
    assert all(w.suppressed for w in figures)


def test_a_members_own_trend_is_never_withheld():
    this_week = weeks_back(AT)[-1]
    (own,) = [w for w in trend({this_week: (2.0, 6.0, 1)}, AT) if str(w.week) == this_week]
    assert (own.online, own.offline, own.offline_share) == (2.0, 6.0, 0.75)
