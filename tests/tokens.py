"""A real development issuer for tests: served over HTTP on a free loopback port, with its
key ring and token minter at hand, and helpers to forge the tokens an attacker would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm
from starlette.types import ASGIApp, Receive, Scope, Send

from services.issuer.app import Minter, create_app
from services.issuer.keys import KeyRing
from shared.natsserver import free_port


class CountingRequests:
    """ASGI middleware counting requests by path (how often the verifier fetched keys)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.counts: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.counts[scope["path"]] = self.counts.get(scope["path"], 0) + 1
        await self.app(scope, receive, send)


@dataclass
class DevIssuer:
    url: str
    minter: Minter
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def ring(self) -> KeyRing:
        return self.minter.ring

    def token(self, handle: str = "ana", roles: tuple[str, ...] = ("member",), **fields) -> str:
        return self.minter.mint(handle, list(roles), **fields)

    def claims(self, handle: str = "ana", **changes: Any) -> dict[str, Any]:
        return self.minter.claims(handle, ["member"]) | changes

    def public_pem(self) -> bytes:
        """The signing key's public half as PEM, as anyone can rebuild it from the JWKS."""
        jwk = self.ring.jwks()["keys"][-1]
        public = RSAAlgorithm.from_jwk(jwk)
        return public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@contextmanager
def dev_issuer(
    data_dir: Path, *, audience: str = "rapport", lifetime: float = 600
) -> Iterator[DevIssuer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    minter = Minter(KeyRing(data_dir / "issuer" / "keys"), url, audience, lifetime)
    minter.ring.ensure()
    app = CountingRequests(create_app(minter))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the issuer did not start"
        time.sleep(0.01)
    try:
        yield DevIssuer(url, minter, app.counts)
    finally:
        server.should_exit = True
        thread.join(10)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], sign=lambda _input: b"") -> str:
    """A JWT put together by hand, signed by `sign(signing_input)` (unsigned by default)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def hmac_signer(secret: bytes):
    return lambda signing_input: hmac.new(secret, signing_input, hashlib.sha256).digest()


def tampered(token: str, **changes: Any) -> str:
    """The token with claims changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{_b64(json.dumps(claims | changes).encode())}.{signature}"
