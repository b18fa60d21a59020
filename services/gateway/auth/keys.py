"""The provider's signing keys, found by its issuer URL (discovery document, then its JWKS).

Its public keys are cached by `kid` and fetched again when a token names a key we do not know
(at most once per `auth.jwks_refresh_interval`, so a flood of made-up kids cannot hammer the
provider) or when they are older than `auth.jwks_max_age` (so a withdrawn key stops being
trusted). Only an https issuer is trusted, but in development mode.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from shared.settings import Settings

from .caller import NotAuthenticated, ProviderUnavailable

log = logging.getLogger(__name__)


class KeySet:
    """The provider's signing keys by kid, fetched without blocking the event loop."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.auth.issuer or ""
        self.development = settings.auth.development
        self.timeout = settings.auth.fetch_timeout
        self.refresh_interval = settings.auth.jwks_refresh_interval
        self.max_age = settings.auth.jwks_max_age
        self._jwks_uri: str | None = None
        self._keys: dict[str, dict[str, Any]] = {}  # kid -> JWK, as published
        self._bound: dict[tuple[str, str], jwt.PyJWK] = {}  # (kid, alg) -> key for that alg
        self._fetched_at: float | None = None  # last successful fetch (monotonic)
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._lock = asyncio.Lock()
        self.generation = 0  # counts changes of the key set

    async def key(self, kid: str, algorithm: str) -> jwt.PyJWK:
        """The key `kid` bound to `algorithm`; fetches the keys again when due or unknown."""
        # a fetch under way is waited for: its keys may be the ones this token needs
        if self._due(kid) or self._lock.locked():
            async with self._lock:  # one fetch for every request waiting on it
                if self._due(kid):
                    await self._refresh()
        if not self._keys:
            raise ProviderUnavailable(f"the keys of {self.issuer} could not be fetched")
        jwk = self._keys.get(kid)
        if jwk is None:
            raise NotAuthenticated("the token is signed by a key the issuer does not publish")
        bound = self._bound.get((kid, algorithm))
        if bound is None:
            try:
                # A JWK that names its alg must match the token's; one that does not is
                # read for the token's alg (an RSA key cannot be read as an EC key).
                bound = jwt.PyJWK(jwk, algorithm=jwk.get("alg") or algorithm)
            except jwt.PyJWTError:
                raise NotAuthenticated("the token's algorithm does not fit its key") from None
            self._bound[(kid, algorithm)] = bound
        return bound

    def _due(self, kid: str) -> bool:
        """A fetch is due for an unknown kid or old keys, unless one was tried just now."""
        now = time.monotonic()
        if self._attempted_at is not None and now - self._attempted_at < self.refresh_interval:
            return False
        old = self._fetched_at is None or now - self._fetched_at >= self.max_age
        return old or kid not in self._keys

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                if self._jwks_uri is None:
                    self._jwks_uri = await self._discover(client)
                keys = _signing_keys(await _json_object(client, self._jwks_uri))
        except (httpx.HTTPError, ValueError) as error:
            # Keep trusting the keys we have until the provider answers again.
            log.warning("could not fetch the keys of %s: %s", self.issuer, error)
            return
        if set(keys) != set(self._keys):
            log.info("keys of %s: %s", self.issuer, ", ".join(sorted(keys)))
        if keys != self._keys:
            self.generation += 1  # tokens verified with the old keys are checked again
        self._keys, self._bound = keys, {}
        self._fetched_at = self._attempted_at

    async def _discover(self, client: httpx.AsyncClient) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await _json_object(client, url)
        if document.get("issuer") != self.issuer:
            raise ValueError(f"the discovery document names issuer {document.get('issuer')!r}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not _acceptable_url(jwks_uri, self.development):
            raise ValueError(f"the discovery document's jwks_uri {jwks_uri!r} is not https")
        return jwks_uri


async def _json_object(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} does not answer a JSON object")
    return document


def _signing_keys(jwks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The published public keys usable for signatures, by kid; a key PyJWK cannot read, a
    key for encryption and a symmetric key are left out."""
    published = jwks.get("keys")
    if not isinstance(published, list):
        raise ValueError("the JWKS has no list of keys")
    keys = {}
    for jwk in published:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("kty") == "oct":
            continue
        try:
            jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        keys[jwk["kid"]] = jwk
    return keys


def _acceptable_url(url: str, development: bool) -> bool:
    scheme = urlsplit(url).scheme
    return scheme == "https" or (development and scheme == "http")


def check_settings(settings: Settings) -> None:
    """Refuse, at start, an issuer the gateway must not trust: OpenID Connect issuers are
    https URLs; only development mode trusts a plain-http one (the development issuer)."""
    issuer = settings.auth.issuer
    if settings.auth.unverified_for_bench and not settings.auth.development:
        raise ValueError("RAPPORT_AUTH_UNVERIFIED_FOR_BENCH is for the bench, in development mode")
    if issuer and not _acceptable_url(issuer, settings.auth.development):
        raise ValueError(
            f"RAPPORT_AUTH_ISSUER {issuer!r} is not an https URL "
            "(only RAPPORT_AUTH_DEVELOPMENT=true trusts a plain-http issuer)"
        )
