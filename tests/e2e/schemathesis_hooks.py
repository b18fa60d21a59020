"""Schemathesis hooks for the conformance run (loaded through SCHEMATHESIS_HOOKS).

A generated Idempotency-Key is drawn from a small space, so unrelated requests would share
one: the API then rightly answers the first request's reply (or 422 for another body), which
schemathesis reads as a failure. Each valid key is made unique; invalid ones stay, so that the
header's own validation is still tested. Calls are signed in with RAPPORT_CONFORMANCE_TOKEN.

A pagination cursor is opaque: the only valid ones are those the API issued (signed, for one
listing and one reader), which no schema can describe, so a generated one is always refused
(400, bad cursor). Cases meant to be valid go without one; invalid ones keep theirs.

Every date-time of the API is in a documented range (1970 to 2100, UTC): the schema's pattern
says so for the year, and valid date-times are drawn from that range with a few offsets (drawn
from any year and filtered by the pattern, almost all would be thrown away).
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

HEADER = "Idempotency-Key"
TOKEN = "RAPPORT_CONFORMANCE_TOKEN"  # a bearer token for every call, when set
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


OFFSETS = [timezone(timedelta(hours=h)) for h in (-12, -5, 0, 1, 5.5, 14)]
IN_RANGE = st.builds(
    lambda moment, zone: moment.astimezone(zone).isoformat(),
    st.datetimes(datetime(1970, 1, 2), datetime(2099, 12, 30), timezones=st.just(UTC)),
    st.sampled_from(OFFSETS),
)
schemathesis.openapi.format("date-time", IN_RANGE)


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    key = headers.get(HEADER)
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        headers[HEADER] = uuid.uuid4().hex
    query = case.query or {}
    generated = case.meta.components.get("query") if case.meta else None
    if "cursor" in query and generated and generated.mode == GenerationMode.POSITIVE:
        del query["cursor"]


@schemathesis.auth()
class BearerToken:
    """Signs every call in as one member (a development token, given in the environment),
    as schemathesis' own auth: its checks for a missing Authorization still send none."""

    def get(self, case, context):
        return os.environ.get(TOKEN)

    def set(self, case, data, context):
        if data:
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"
