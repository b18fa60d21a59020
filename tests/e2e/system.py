"""Runs the whole system as `make run` does: one nats-server with the generated
authorization, every service as its own process started with the supervisor's own command
and connecting as its own identity (the development token issuer too, the gateway in
development mode), and HTTP clients for the gateway: anonymous (`http`) and signed in as a
member or role (`as_member`), with tokens from the development issuer."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nats

from services.issuer.app import Minter, development_environment
from services.issuer.keys import KeyRing
from shared.messaging.permissions import IDENTITIES
from shared.messaging.provisioning import provision
from shared.natsserver import NatsServer, free_port, start_nats_server
from shared.runtime import Process, processes
from shared.settings import SERVICES, Settings
from tests.support import HARNESS, WEBHOOK_ENV, bus_config, identity_env, test_settings, url_as


def wait_until(probe: Callable[[], Any], *, timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll `probe` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


class System:
    def __init__(
        self,
        root: Path,
        database_urls: dict[str, str],
        *,
        aggregator_instances: int = 1,
    ) -> None:
        self.root = root
        self.nats: NatsServer = start_nats_server(
            root / "nats",
            log_file=root / "nats.log",
            config=bus_config(root / "secrets"),
        )
        # the tests' own connections (to set up, inspect and feed streams) are the harness's
        self.nats_url = url_as(self.nats.url, HARNESS)
        settings = test_settings(self.nats.url)
        asyncio.run(self._provision(settings))
        self.specs: dict[str, Process] = {p.name: p for p in processes(settings)}
        # more aggregator instances: replicas sharing its durables and its database
        for n in range(2, aggregator_instances + 1):
            self.specs[f"aggregator-{n}"] = Process(f"aggregator-{n}", "aggregator", {})
        self.ports = {name: free_port() for name in self.specs}
        self.env = dict(
            os.environ,
            RAPPORT_NATS_URL=self.nats.url,
            RAPPORT_DATA_DIR=str(root / "var"),
            RAPPORT_LOG_FORMAT="text",
            RAPPORT_LOG_LEVEL="WARNING",
            RAPPORT_REQUEST_TIMEOUT="2",
            RAPPORT_MAX_DELIVERIES=str(settings.max_deliveries),
            RAPPORT_RETRY_BACKOFF="[0.05, 0.1]",
            **WEBHOOK_ENV,
            **{
                f"RAPPORT_{name.upper()}_PORT": str(port)
                for name, port in self.ports.items()
                if name in self.specs and self.specs[name].service == name
            },
            **{f"RAPPORT_{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
        )
        # as `make run`: the gateway trusts the development issuer, in development mode
        issuer = settings.model_copy(
            update={"issuer": settings.issuer.model_copy(update={"port": self.ports["issuer"]})}
        )
        self.env |= development_environment(issuer)
        self.issuer_url = self.env["RAPPORT_AUTH_ISSUER"]
        # further aggregator instances (they share the durables and the database)
        partitions = {
            name: {"RAPPORT_AGGREGATOR_PORT": str(self.ports[name])}
            for name, spec in self.specs.items()
            if spec.service == "aggregator" and name != "aggregator"
        }
        # each process connects as its own identity, as under `make run`
        self.process_env = {
            name: (identity_env(spec.service) if spec.service in IDENTITIES else {})
            | partitions.get(name, {})
            for name, spec in self.specs.items()
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.base_url = f"http://127.0.0.1:{self.ports['gateway']}"
        self.http = httpx.Client(base_url=self.base_url, timeout=10)  # anonymous
        self._clients: dict[tuple, httpx.Client] = {}
        self.handles: dict[str, str] = {}  # member id -> handle, of members registered here
        self._minter: Minter | None = None

    async def _provision(self, settings) -> None:
        nc = await nats.connect(self.nats_url)
        await provision(nc.jetstream(), settings)
        await nc.close()

    def start(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            self.specs[name].command,
            env=self.env | self.process_env.get(name, {}),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(45)  # beyond NATS's drain timeout (30 s): a slow drain is logged, not fatal

    def start_all(self) -> None:
        for name in self.specs:
            self.start(name)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90.0) -> None:
        # a deadline, not a wait: on a loaded 2-core machine five services migrating their
        # PostgreSQL schemas at once have taken more than 30 s to be ready
        def ready() -> bool:
            try:
                return self.http.get("/readyz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout=timeout, interval=0.1)

    def shutdown(self) -> None:
        # the reverse of the start: profiles, which the others ask for personal data while
        # they take in member facts, stops last
        for name in reversed(list(self.processes)):
            self.stop(name)
        self.http.close()
        for client in self._clients.values():
            client.close()
        self.nats.stop()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    # --- the API, as a member's front end would call it ----------------------------------

    def token(
        self,
        handle: str,
        role: str = "member",
        *,
        team: str | None = None,
        email: str | None = None,
    ) -> str:
        """A token of the development issuer for `handle` (its subject) with `role`."""
        request = {"handle": handle, "roles": [role], "team": team, "email": email}
        response = httpx.post(f"{self.issuer_url}/token", json=request, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def mint(self, handle: str, role: str = "member") -> str:
        """A token for `handle` signed here with the development issuer's key (no request:
        for load generators that need one per request)."""
        if self._minter is None:
            ring = KeyRing(self.root / "var" / "issuer" / "keys")
            self._minter = Minter(ring, self.issuer_url, "rapport", 3600)
        return self._minter.mint(handle, [role])

    def as_member(
        self,
        handle: str,
        role: str = "member",
        *,
        team: str | None = None,
        email: str | None = None,
    ) -> httpx.Client:
        """A client signed in as `handle` (the token's subject) with `role`."""
        key = (handle, role, team, email)
        if key not in self._clients:
            token = self.token(handle, role, team=team, email=email)
            self._clients[key] = httpx.Client(
                base_url=self.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}
            )
        return self._clients[key]

    def as_id(self, member_id: str) -> httpx.Client:
        """A client signed in as the member registered here with id `member_id`."""
        return self.as_member(self.handles[member_id])

    def client_for(self, path: str) -> httpx.Client:
        """Who would call `path`: the first member registered here it names (the acting
        member of every path that names one), an analyst for insights, else `signed_in`."""
        if path.startswith("/v1/insights"):
            return self.analyst()
        named = [part for part in path.split("?")[0].split("/") if part in self.handles]
        return self.as_id(named[0]) if named else self.signed_in()

    def signed_in(self) -> httpx.Client:
        """A client signed in as a member nothing is about (`visitor`), for calls that need
        someone signed in but not someone in particular (events, lists, bad input)."""
        if "visitor" not in self.handles.values():
            self.registered("visitor")
        return self.as_member("visitor")

    def outsider(self) -> httpx.Client:
        """Signed in as someone of the organisation who has not registered."""
        return self.as_member("outsider")

    def analyst(self) -> httpx.Client:
        return self.as_member("people-analyst", "analyst")

    def operator(self) -> httpx.Client:
        return self.as_member("site-operator", "operator")

    def register(
        self, handle: str, *, team: str | None = None, email: str | None = None, **fields
    ) -> dict:
        """Sign in as `handle` (team and email from the token, as the provider's claims: the
        email defaults to <handle>@example.org) and register."""
        client = self.as_member(handle, team=team, email=email)
        body = {"handle": handle, "name": handle.title()}
        response = client.post("/v1/members", json=body | fields)
        assert response.status_code == 201, response.text
        member = response.json()
        self.handles[member["member_id"]] = handle
        # later calls of this handle sign in with the same token (its claims included)
        self._clients[(handle, "member", None, None)] = client
        return member

    def known_to(self, service_operation: tuple[str, str], member_id: str) -> None:
        """Wait until an event-fed service knows a newly registered member."""
        path = {
            ("connections", "list_connections"): f"/v1/members/{member_id}/connections",
            ("aggregator", "relationships"): f"/v1/members/{member_id}/relationships",
            ("content", "content_stats"): f"/v1/members/{member_id}/content-stats",
            ("events", "list_member_meetings"): f"/v1/members/{member_id}/meetings",
        }[service_operation]
        client = self.as_id(member_id)
        wait_until(lambda: client.get(path).status_code == 200)

    def registered(self, *handles: str) -> list[str]:
        """Register members and wait until every event-fed service knows them."""
        ids = [self.register(h)["member_id"] for h in handles]
        for member_id in ids:
            self.known_to(("connections", "list_connections"), member_id)
            self.known_to(("aggregator", "relationships"), member_id)
            self.known_to(("content", "content_stats"), member_id)
            self.known_to(("events", "list_member_meetings"), member_id)
        return ids

    def relationships(self, member_id: str) -> dict[str, dict]:
        response = self.as_id(member_id).get(f"/v1/members/{member_id}/relationships")
        assert response.status_code == 200, response.text
        # flattened: the trust component beside the ties, for short assertions
        return {
            item["member_id"]: item | {"trust": item["components"]["trust"]}
            for item in response.json()["items"]
        }


__all__ = ["SERVICES", "Settings", "System", "wait_until"]
