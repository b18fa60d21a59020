"""Schemathesis hooks for the conformance run (loaded through SCHEMATHESIS_HOOKS).

A generated Idempotency-Key is drawn from a small space, so unrelated requests would share
one: the API then rightly answers the first request's reply (or 422 for another body), which
schemathesis reads as a failure. Each valid key is made unique; invalid ones stay, so that the
header's own validation is still tested. Calls are signed in with RAPPORT_CONFORMANCE_TOKEN.
"""

from __future__ import annotations

import os
import re
import uuid

import schemathesis

HEADER = "Idempotency-Key"
TOKEN = "RAPPORT_CONFORMANCE_TOKEN"  # a bearer token for every call, when set
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    key = headers.get(HEADER)
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        headers[HEADER] = uuid.uuid4().hex


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
