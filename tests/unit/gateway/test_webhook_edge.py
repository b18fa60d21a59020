"""The webhook edge: Standard Webhooks verification, checked against deliveries signed by
the reference implementation (`standardwebhooks`), and the per-source token bucket."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.webhooks import RateLimits, SignatureRefused, TokenBucket, verify
from shared.settings import Settings, secret_key
from tests.support import WEBHOOK_SECRETS, signed

OLD, NEW = WEBHOOK_SECRETS["rotating"]
KEYS = [secret_key(OLD), secret_key(NEW)]
PAYLOAD = {"type": "rsvp.updated", "data": {"email": "a@example.org"}}


def check(body: bytes, headers: dict[str, str], *, keys=KEYS, now: float | None = None) -> int:
    return verify(
        keys=keys,
        webhook_id=headers.get("webhook-id"),
        timestamp=headers.get("webhook-timestamp"),
        signature=headers.get("webhook-signature"),
        body=body,
        now=time.time() if now is None else now,
        tolerance=300,
    )


def refusal(body: bytes, headers: dict[str, str], **kw) -> SignatureRefused:
    with pytest.raises(SignatureRefused) as refused:
        check(body, headers, **kw)
    return refused.value


@pytest.mark.parametrize("secrets", [[OLD], [NEW], [OLD, NEW], [NEW, OLD]])
def test_a_delivery_signed_with_the_old_the_new_or_both_secrets_is_authentic(secrets):
    body, headers = signed(secrets, PAYLOAD)
    assert check(body, headers) == int(headers["webhook-timestamp"])


def test_a_tampered_body_is_refused_naming_the_signature():
    body, headers = signed(NEW, PAYLOAD)
    refused = refusal(body.replace(b"a@example", b"b@example"), headers)
    assert (refused.outcome, refused.header) == ("bad_signature", "webhook-signature")


def test_a_tampered_id_or_timestamp_is_refused():
    body, headers = signed(NEW, PAYLOAD)
    assert refusal(body, headers | {"webhook-id": "msg_other"}).outcome == "bad_signature"
    later = str(int(headers["webhook-timestamp"]) + 1)
    assert refusal(body, headers | {"webhook-timestamp": later}).outcome == "bad_signature"


def test_a_delivery_signed_with_another_sources_secret_is_refused():
    body, headers = signed(WEBHOOK_SECRETS["luma"], PAYLOAD)
    assert refusal(body, headers).outcome == "bad_signature"


@pytest.mark.parametrize("minutes", [-6, 6], ids=["stale", "future"])
def test_a_timestamp_more_than_five_minutes_off_is_refused_as_stale(minutes: int):
    body, headers = signed(NEW, PAYLOAD, at=datetime.now(UTC) + timedelta(minutes=minutes))
    refused = refusal(body, headers)
    assert (refused.outcome, refused.header) == ("stale", "webhook-timestamp")


def test_a_timestamp_four_minutes_off_is_fresh():
    body, headers = signed(NEW, PAYLOAD, at=datetime.now(UTC) - timedelta(minutes=4))
    assert check(body, headers)


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused_naming_it(header: str):
    body, headers = signed(NEW, PAYLOAD)
    del headers[header]
    assert refusal(body, headers).header == header


@pytest.mark.parametrize(
    "signature", ["v1,", "v1,not-base64!", "v2,AAAA", "garbage", "v1a,abc v1,"]
)
def test_malformed_signatures_are_refused_not_crashing(signature: str):
    body, headers = signed(NEW, PAYLOAD)
    assert refusal(body, headers | {"webhook-signature": signature}).outcome == "bad_signature"


def test_a_valid_signature_among_unknown_versions_is_found():
    body, headers = signed(NEW, PAYLOAD)
    headers["webhook-signature"] = "v2,AAAA " + headers["webhook-signature"]
    assert check(body, headers)


@pytest.mark.parametrize("timestamp", ["1700000000.5", "-1", "soon", ""])
def test_a_timestamp_that_is_not_integer_seconds_is_refused(timestamp: str):
    body, headers = signed(NEW, PAYLOAD)
    assert refusal(body, headers | {"webhook-timestamp": timestamp}).outcome == "bad_signature"


def test_secrets_must_be_whsec_base64_of_enough_bytes():
    with pytest.raises(ValueError):
        Settings(webhook={"secrets": {"luma": ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}})
    with pytest.raises(ValueError):
        Settings(webhook={"secrets": {"luma": ["whsec_c2hvcnQ="]}})
    with pytest.raises(ValueError):
        Settings(webhook={"secrets": {"deliveries": [NEW]}})
    assert Settings(webhook={"secrets": {"luma": [NEW]}}).webhook.signing_keys("luma") == [
        secret_key(NEW)
    ]


def test_the_secrets_never_show_in_the_settings_repr():
    assert NEW.removeprefix("whsec_") not in repr(Settings(webhook={"secrets": {"luma": [NEW]}}))


# --- rate limit -----------------------------------------------------------------------------


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait():
    bucket = TokenBucket(rate=2.0, burst=3)
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) == pytest.approx(0.5)
    assert bucket.take(100.5) == 0.0


def test_a_bucket_refills_at_its_rate_up_to_its_burst():
    bucket = TokenBucket(rate=10.0, burst=2)
    bucket.take(0.0), bucket.take(0.0)
    assert bucket.take(60.0) == 0.0
    assert bucket.take(60.0) == 0.0
    assert bucket.take(60.0) > 0


def test_each_source_has_its_own_bucket():
    limits = RateLimits(rate=1.0, burst=1)
    assert limits.retry_after("luma", 0.0) == 0.0
    assert limits.retry_after("luma", 0.0) > 0
    assert limits.retry_after("rapport", 0.0) == 0.0
