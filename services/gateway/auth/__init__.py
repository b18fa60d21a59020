"""Who is calling: bearer JWTs from the organisation's OpenID Connect provider, verified here.

The provider is found by its issuer URL (discovery document, then its JWKS); its public keys
are cached by `kid` and fetched again when a token names a key we do not know (at most once
per `auth.jwks_refresh_interval`, so a flood of made-up kids cannot hammer the provider) or
when they are older than `auth.jwks_max_age` (so a withdrawn key stops being trusted).
PyJWT checks the signature, issuer, audience, exp, nbf and iat; only asymmetric algorithms
are accepted, and the key a token is checked with is bound to the token's algorithm, so a
public key can never be used as an HMAC secret.

Routes ask for a `Caller` (`caller: CallerDep`) or a role (`Depends(require_role(...))`):
no token or an invalid one is a 401 with `WWW-Authenticate: Bearer`, a missing role a 403.

`keys` holds the provider's keys, `tokens` the verification of a token into a `Caller`,
`caller` the caller and the refusals, `dependencies` the FastAPI side; the names routes and
the app use are exported here.
"""

from __future__ import annotations

from .caller import Caller, Forbidden, NotAuthenticated
from .dependencies import SECURITY_SCHEME, CallerDep, authenticate, bearer, install, require_role
from .keys import KeySet
from .tokens import DEVELOPMENT_CLAIM, TokenVerifier

__all__ = [
    "DEVELOPMENT_CLAIM",
    "SECURITY_SCHEME",
    "Caller",
    "CallerDep",
    "Forbidden",
    "KeySet",
    "NotAuthenticated",
    "TokenVerifier",
    "authenticate",
    "bearer",
    "install",
    "require_role",
]
