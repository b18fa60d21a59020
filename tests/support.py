"""Helpers for tests: the bus's credentials, settings for a test run, and polling with a
deadline."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import nats
from pydantic import SecretStr

from shared.messaging.credentials import write_server_config
from shared.messaging.permissions import IDENTITIES, inbox_prefix
from shared.settings import Settings

# --- the bus: every nats-server a test starts refuses anonymous clients ----------------------

HARNESS = "harness"
"""The tests' own NATS identity, with every permission: to set streams up, inspect them and
play any service's part. It exists only in the configurations tests write (never in
`make run`'s); the services under test connect as themselves (`identity`)."""


@cache
def bus_passwords() -> dict[str, str]:
    """One password per identity for the whole test session."""
    return {name: secrets.token_urlsafe(24) for name in (*IDENTITIES, HARNESS)}


def bus_config(directory: Path) -> Path:
    """The server's authorization, generated as `make run` does, plus the harness."""
    return write_server_config(
        directory,
        bus_passwords(),
        unrestricted=(HARNESS,),
    )


def url_as(url: str, identity: str) -> str:
    """`url` with an identity's credentials in it (nats-py reads them from the URL)."""
    parts = urlsplit(url)
    netloc = f"{identity}:{bus_passwords()[identity]}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


async def connect_as(url: str, identity: str, **options) -> nats.NATS:
    """A connection to the nats-server at `url` as `identity`, as its processes connect."""
    return await nats.connect(
        url,
        user=identity,
        password=bus_passwords()[identity],
        inbox_prefix=inbox_prefix(identity),
        **options,
    )


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{parts.port}"))


def identity(name: str) -> dict[str, dict[str, str]]:
    """Settings overrides connecting as identity `name` (`identity_env`: the environment)."""
    return {"nats": {"user": name, "password": bus_passwords()[name]}}


def as_identity(settings: Settings, name: str) -> Settings:
    """`settings` for an in-process part that connects as identity `name`."""
    nats = settings.nats.model_copy(
        update={"user": name, "password": SecretStr(bus_passwords()[name])}
    )
    return settings.model_copy(update={"nats": nats})


def identity_env(name: str) -> dict[str, str]:
    return {"RAPPORT_NATS_USER": name, "RAPPORT_NATS_PASSWORD": bus_passwords()[name]}


def test_settings(nats_url: str, **overrides) -> Settings:
    """Settings for in-process parts of the system; on the bus they are the harness unless
    `**identity(name)` says otherwise."""
    defaults = deep_merge(
        identity(HARNESS),
        dict(
            nats={"url": without_credentials(nats_url)},  # the identity is the settings' own
            max_deliveries=3,
            retry_backoff=[0.05, 0.1],
            ack_wait=5.0,
            outbox={"poll_interval": 0.2},
            log={"format": "text"},
        ),
    )
    return Settings(**deep_merge(defaults, overrides))


test_settings.__test__ = False  # a helper, not a test


def deep_merge(base: dict, changes: dict) -> dict:
    """`base` with `changes`, section by section: {"nats": {"user": ...}} keeps nats' url."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = deep_merge(merged[key], value)
        merged[key] = value
    return merged


async def eventually(
    probe: Callable[[], Awaitable[object]], *, timeout: float = 5.0, interval: float = 0.05
):
    """Poll `probe` until it returns something truthy (no sleeps to synchronise)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


# --- signed webhook deliveries, signed by the reference implementation ------------------------


def _secret(seed: str) -> str:
    return "whsec_" + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


WEBHOOK_SECRETS = {
    "rapport": [_secret("rapport")],
    "luma": [_secret("luma")],
    # a source in the middle of a rotation: the old and the new secret are both valid
    "rotating": [_secret("rotating-old"), _secret("rotating-new")],
}
WEBHOOK_SOURCE_ADAPTERS = {"rotating": "rapport"}
WEBHOOK_ENV = {
    "RAPPORT_WEBHOOK_SECRETS": json.dumps(WEBHOOK_SECRETS),
    "RAPPORT_WEBHOOK_SOURCE_ADAPTERS": json.dumps(WEBHOOK_SOURCE_ADAPTERS),
}


def signed(
    secrets: str | list[str],
    payload: dict | bytes,
    *,
    webhook_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and the Standard Webhooks headers for it, signed with `standardwebhooks`
    under each of `secrets` (space-separated signatures, as during a rotation)."""
    from standardwebhooks import Webhook

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    keys = [secrets] if isinstance(secrets, str) else secrets
    signature = " ".join(Webhook(key).sign(webhook_id, moment, body.decode()) for key in keys)
    return body, {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": signature,
    }


# --- profiles' part for services under test that keep personal data ---------------------------


class ProfilesStandIn:
    """Answers profiles' `personal_data` on a test's bus, as the profiles service would, from
    `members` (id -> profile fields); a member it does not hold is erased. Every request is
    kept in `requests`, so a test can count them. Start it with a harness URL."""

    def __init__(self) -> None:
        self.members: dict[str, dict] = {}
        self.requests: list = []
        self._nc: nats.NATS | None = None

    def hold(self, member_id: str, **fields) -> None:
        self.members[member_id] = {
            "name": member_id.title(),
            "email": f"{member_id}@example.org",
            "headline": "",
            "keywords": [],
            "skills": [],
            "accomplishments": [],
            "goals": [],
        } | fields

    async def start(self, url: str) -> ProfilesStandIn:
        from shared.contracts.api.profiles import personal_data

        self._nc = await nats.connect(url)
        await self._nc.subscribe(personal_data.subject, queue="profiles", cb=self._answer)
        await self._nc.flush()
        return self

    async def stop(self) -> None:
        if self._nc is not None:
            await self._nc.close()
            self._nc = None

    async def _answer(self, msg) -> None:
        from shared.contracts.api.profiles import PersonalData, PersonalDataQuery
        from shared.contracts.rpc import Reply

        query = PersonalDataQuery.model_validate_json(msg.data)
        self.requests.append(query)
        held = [i for i in query.member_ids if i in self.members]
        reply = PersonalData(
            members=[
                {"member_id": i, **{f: self.members[i].get(f) for f in query.fields}} for i in held
            ],
            erased=[i for i in query.member_ids if i not in self.members],
        )
        answer = Reply(ok=True, result=reply.model_dump(mode="json"))
        await msg.respond(answer.model_dump_json().encode())
