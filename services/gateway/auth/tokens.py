"""A bearer token into a `Caller`: PyJWT checks the signature, issuer, audience, exp, nbf and
iat; only asymmetric algorithms are accepted, and the key a token is checked with is bound to
the token's algorithm, so a public key can never be used as an HMAC secret."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Annotated, Any

import jwt
from jwt.utils import base64url_decode
from pydantic import TypeAdapter, ValidationError

from shared.contracts.fields import PlainText
from shared.settings import Settings

from .caller import ROLES, Caller, NotAuthenticated
from .keys import KeySet

DEVELOPMENT_CLAIM = "rapport_development"
"""Set (true) in every token of the development issuer; refused unless development mode."""


LONGEST_CLAIM = 256  # longest subject, email or team we accept from a token
_PLAIN = TypeAdapter(Annotated[str, PlainText])


class TokenVerifier:
    """Turns a bearer token into a `Caller`, or says why it cannot."""

    def __init__(self, settings: Settings, keys: KeySet | None = None) -> None:
        self.settings = settings
        self.keys = keys or KeySet(settings)
        self.algorithms = list(settings.auth.algorithms)
        self.cache_size = settings.auth.token_cache_size
        # token -> (caller, accepted until, key generation), least recently used first
        self._verified: OrderedDict[str, tuple[Caller, float, int]] = OrderedDict()

    async def verify(self, token: str) -> Caller:
        """The token's caller. A token verified before is answered from memory until it
        expires or the provider's keys change: a front end sends the same token with every
        request, and checking its signature each time would be a sizeable share of a read."""
        if self.settings.auth.unverified_for_bench:  # the bench's baseline: nothing checked
            try:
                claims = jwt.decode(token, options={"verify_signature": False})
            except jwt.PyJWTError:
                raise NotAuthenticated("the token is not a well-formed JWT") from None
            return self.caller(claims)
        remembered = self._verified.get(token)
        if remembered is not None:
            caller, until, generation = remembered
            if time.time() < until and generation == self.keys.generation:
                self._verified.move_to_end(token)
                return caller
            del self._verified[token]
        generation = self.keys.generation
        caller, expires = await self._verify(token)
        if self.cache_size:
            self._verified[token] = (caller, expires + self.settings.auth.leeway, generation)
            if len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return caller

    async def _verify(self, token: str) -> tuple[Caller, float]:
        header = _header(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self.algorithms:
            raise NotAuthenticated(f"tokens signed with {algorithm!r} are not accepted")
        if not isinstance(kid, str) or not kid:
            raise NotAuthenticated("the token names no signing key (kid)")
        key = await self.keys.key(kid, algorithm)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.settings.auth.audience,
                issuer=self.settings.auth.issuer,
                leeway=self.settings.auth.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise NotAuthenticated("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated("the token is meant for another audience") from None
        except jwt.InvalidIssuerError:
            raise NotAuthenticated("the token comes from another issuer") from None
        except jwt.InvalidSignatureError:
            raise NotAuthenticated("the token's signature does not verify") from None
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the token is invalid: {error}") from None
        if claims.get(DEVELOPMENT_CLAIM) and not self.settings.auth.development:
            raise NotAuthenticated("development tokens are refused outside development mode")
        for name, value in self.settings.auth.required_claims.items():
            if claim(claims, name) != value:
                raise NotAuthenticated(f"the token's {name} claim is not {value!r}")
        return self.caller(claims), claims["exp"]

    def caller(self, claims: dict[str, Any]) -> Caller:
        s = self.settings
        subject = _label(claim(claims, s.auth.subject_claim), "subject")
        if subject is None:
            raise NotAuthenticated(f"the token has no subject ({s.auth.subject_claim})")
        email = _label(claim(claims, s.auth.email_claim), "email")
        if s.auth.email_verified_claim and claim(claims, s.auth.email_verified_claim) is not True:
            email = None  # an unverified email names nobody
        roles = claim(claims, s.auth.roles_claim)
        if isinstance(roles, str):
            roles = roles.split()  # a space-separated list, as scopes are
        if not isinstance(roles, list):
            roles = []
        named = {role for role in roles if isinstance(role, str)}
        return Caller(
            subject=subject,
            email=email,
            team=_label(claim(claims, s.auth.team_claim), "team"),
            # Only Rapport's roles: providers add their own (offline_access, ...).
            roles=frozenset(s.auth.default_roles).union(named).intersection(ROLES),
        )


def _header(token: str) -> dict[str, Any]:
    """The token's header, read only to choose the key; PyJWT checks it again with the rest."""
    try:
        header = json.loads(base64url_decode(token.split(".", 1)[0]))
    except (ValueError, UnicodeDecodeError):
        raise NotAuthenticated("the token is not a well-formed JWT") from None
    if not isinstance(header, dict) or token.count(".") != 2:
        raise NotAuthenticated("the token is not a well-formed JWT")
    return header


def claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; a dotted name reaches into objects (`realm_access.roles`) unless the
    token has a claim of that exact name (namespaced claims are URLs, with dots)."""
    if not name:
        return None
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _label(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > LONGEST_CLAIM:
        raise NotAuthenticated(f"the token's {what} claim is not a short text")
    try:
        return _PLAIN.validate_python(value)
    except ValidationError:
        raise NotAuthenticated(f"the token's {what} claim holds control characters") from None
