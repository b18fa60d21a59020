"""Whom a webhook delivery names, as an erasure finds it; how long deliveries are kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from services.events.deliveries import email_digest, emails_named, retention_cutoff
from shared.contracts.streams import STREAMS
from shared.messaging.provisioning import stream_config
from shared.settings import Settings


def test_every_email_of_a_json_body_is_found_normalised_wherever_it_stands():
    body = json.dumps(
        {
            "type": "guest.updated",
            "data": {
                "guest": {"email": " Ana.Lima@Example.ORG "},
                "notes": ["met ben@example.org at the desk"],
                "escaped": "ESCAPED",
            },
        }
    ).encode()
    # a JSON escape hides nothing: "\u0040" is "@"
    body = body.replace(b"ESCAPED", rb"chen\u0040example.org")
    assert emails_named(body) == {"ana.lima@example.org", "ben@example.org", "chen@example.org"}


def test_a_body_that_is_not_json_is_read_as_text():
    assert emails_named(b"scan: <Ana@example.org>, ben@example.org;") == {
        "ana@example.org",
        "ben@example.org",
    }
    assert emails_named(b"\xff\xfe no address here") == set()


def test_the_digest_of_an_email_ignores_case_and_spaces_and_hides_it():
    assert email_digest(" Ana@Example.org") == email_digest("ana@example.org")
    assert email_digest("ana@example.org") != email_digest("ben@example.org")
    assert "ana" not in email_digest("ana@example.org")


def test_deliveries_received_before_the_retention_are_due():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert retention_cutoff(now, 7) == now - timedelta(days=7)


def test_the_webhooks_stream_keeps_messages_for_the_configured_retention_only():
    webhooks = next(s for s in STREAMS if s.name == "WEBHOOKS")
    assert stream_config(webhooks, Settings()).max_age == 7 * 86400
    assert stream_config(webhooks, Settings(webhook={"retention_days": 2})).max_age == 2 * 86400
    profiles = next(s for s in STREAMS if s.name == "PROFILES")
    assert stream_config(profiles, Settings(webhook={"retention_days": 2})).max_age == 0


def test_a_body_of_the_largest_size_without_spaces_is_read_in_one_pass():
    """A webhook body may be 256 KiB of address characters: the search starts only where a
    run of them starts (a quadratic search would hold the events service for minutes)."""
    assert emails_named(b"a" * 256 * 1024) == set()
    assert emails_named(b"a.b@" * 65536) == {"a.b@a.b"}
