"""Bearer tokens at the gateway, checked against a real development issuer served over HTTP:
a valid token names its caller; every kind of bad token is a 401 with a Bearer challenge;
a rotated key is trusted without restarting the verifier; development tokens need
development mode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from services.gateway import auth, problems
from services.gateway.auth import Caller, CallerDep, KeySet, TokenVerifier, require_role
from services.issuer.keys import KeyRing
from shared.natsserver import free_port
from shared.settings import Settings
from tests.support import deep_merge
from tests.tokens import DevIssuer, dev_issuer, forge, hmac_signer, tampered

PROBLEM = "application/problem+json"


def settings_for(issuer: DevIssuer, **overrides) -> Settings:
    defaults = dict(
        auth={"issuer": issuer.url, "development": True, "jwks_refresh_interval": 0},
        log={"format": "text"},
    )
    return Settings(**deep_merge(defaults, overrides))


def tiny_app(settings: Settings) -> FastAPI:
    """An app with one route for any caller and one for operators, as real routes will be."""
    app = FastAPI()
    problems.install(app)
    auth.install(app, settings)

    @app.get("/whoami")
    async def whoami(caller: CallerDep) -> dict:
        return {
            "subject": caller.subject,
            "email": caller.email,
            "team": caller.team,
            "roles": sorted(caller.roles),
        }

    @app.get("/replay")
    async def replay(caller: Annotated[Caller, Depends(require_role("operator"))]) -> dict:
        return {"subject": caller.subject}

    return app


@pytest.fixture
def issuer(tmp_path) -> Iterator[DevIssuer]:
    with dev_issuer(tmp_path) as served:
        yield served


@pytest.fixture
async def client(issuer: DevIssuer) -> AsyncIterator[httpx.AsyncClient]:
    app = tiny_app(settings_for(issuer))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="rapport", error="invalid_token"'), challenge
    assert response.json()["status"] == 401


async def test_a_valid_token_names_its_caller_with_email_team_and_roles(client, issuer):
    token = issuer.token("ana", ("analyst",), team="design")

    response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": "ana",
        "email": "ana@example.org",
        "team": "design",
        "roles": ["analyst", "member"],  # every verified caller is a member
    }


async def test_a_request_without_a_token_is_challenged_for_one(client):
    for headers in ({}, {"Authorization": "Basic YW5hOnNlY3JldA=="}):
        response = await client.get("/whoami", headers=headers)

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="rapport"'
        assert response.headers["content-type"] == PROBLEM


def expired(issuer: DevIssuer) -> str:
    now = int(time.time())
    return issuer.ring.sign(issuer.claims(iat=now - 7200, nbf=now - 7200, exp=now - 120))


def not_yet_valid(issuer: DevIssuer) -> str:
    now = int(time.time())
    return issuer.ring.sign(issuer.claims(nbf=now + 120, exp=now + 3600))


def from_another_issuer(issuer: DevIssuer) -> str:
    return issuer.ring.sign(issuer.claims(iss="https://idp.example.org"))


def for_another_audience(issuer: DevIssuer) -> str:
    return issuer.ring.sign(issuer.claims(aud="another-app"))


def signed_by_an_unknown_key(issuer: DevIssuer, tmp_path) -> str:
    return KeyRing(tmp_path / "elsewhere").sign(issuer.claims())


def signed_by_another_key_under_a_known_kid(issuer: DevIssuer) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = issuer.ring.ensure()
    return jwt.encode(issuer.claims(), other, algorithm="RS256", headers={"kid": kid})


def unsigned_with_alg_none(issuer: DevIssuer) -> str:
    return forge({"alg": "none", "typ": "JWT", "kid": issuer.ring.ensure()}, issuer.claims())


def hs256_signed_with_the_public_key(issuer: DevIssuer) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.ring.ensure()}
    return forge(header, issuer.claims(), hmac_signer(issuer.public_pem()))


def with_a_tampered_payload(issuer: DevIssuer) -> str:
    return tampered(issuer.token("ana"), sub="bob")


def without_expiry(issuer: DevIssuer) -> str:
    claims = issuer.claims()
    del claims["exp"]
    return issuer.ring.sign(claims)


def not_a_jwt(_: DevIssuer) -> str:
    return "not-a-jwt"


BAD_TOKENS = [
    expired,
    not_yet_valid,
    from_another_issuer,
    for_another_audience,
    signed_by_another_key_under_a_known_kid,
    unsigned_with_alg_none,
    hs256_signed_with_the_public_key,
    with_a_tampered_payload,
    without_expiry,
    not_a_jwt,
]


@pytest.mark.parametrize("make_token", BAD_TOKENS, ids=lambda f: f.__name__)
async def test_a_bad_token_is_refused_with_an_invalid_token_challenge(client, issuer, make_token):
    response = await client.get("/whoami", headers=bearer(make_token(issuer)))

    assert_invalid_token(response)


async def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_refused(
    client, issuer, tmp_path
):
    response = await client.get(
        "/whoami", headers=bearer(signed_by_an_unknown_key(issuer, tmp_path))
    )

    assert_invalid_token(response)
    assert "key" in response.json()["detail"]


async def test_tokens_within_the_leeway_are_accepted(client, issuer):
    now = int(time.time())
    just_expired = issuer.ring.sign(issuer.claims(exp=now - 5))
    almost_valid = issuer.ring.sign(issuer.claims(nbf=now + 5, iat=now + 5))

    for token in (just_expired, almost_valid):
        assert (await client.get("/whoami", headers=bearer(token))).status_code == 200


async def test_a_rotated_key_is_trusted_without_restarting_the_verifier(client, issuer):
    before = issuer.token("ana")
    assert (await client.get("/whoami", headers=bearer(before))).status_code == 200

    new_kid = issuer.ring.rotate()
    after = issuer.token("ana")

    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await client.get("/whoami", headers=bearer(after))).status_code == 200
    # the previous key stays published, so tokens it signed keep working until they expire
    assert (await client.get("/whoami", headers=bearer(before))).status_code == 200


async def test_unknown_kids_fetch_the_keys_at_most_once_per_refresh_interval(issuer, tmp_path):
    app = tiny_app(settings_for(issuer, auth={"jwks_refresh_interval": 3600}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await client.get("/whoami", headers=bearer(issuer.token()))).status_code == 200
        fetched = issuer.requests["/jwks"]

        for index in range(5):
            forged = KeyRing(tmp_path / f"forger-{index}").sign(issuer.claims())
            assert_invalid_token(await client.get("/whoami", headers=bearer(forged)))

    assert issuer.requests["/jwks"] == fetched


async def test_development_tokens_are_refused_outside_development_mode(issuer):
    app = tiny_app(settings_for(issuer))
    # A verifier that is not in development mode but has this issuer's keys (outside
    # development mode it would not even fetch them over plain http).
    keys = KeySet(settings_for(issuer))
    app.state.verifier = TokenVerifier(settings_for(issuer, auth={"development": False}), keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/whoami", headers=bearer(issuer.token()))

    assert_invalid_token(response)
    assert "development" in response.json()["detail"]


def test_the_gateway_will_not_trust_a_plain_http_issuer_outside_development_mode(issuer):
    with pytest.raises(ValueError, match="https"):
        tiny_app(settings_for(issuer, auth={"development": False}))


async def test_a_role_route_refuses_a_member_and_admits_an_operator(client, issuer):
    member = await client.get("/replay", headers=bearer(issuer.token("ana", ("member",))))
    operator = await client.get("/replay", headers=bearer(issuer.token("ops", ("operator",))))

    assert member.status_code == 403
    assert member.headers["content-type"] == PROBLEM
    assert "operator" in member.json()["detail"]
    assert operator.status_code == 200


async def test_the_issuers_token_endpoint_gives_a_token_the_gateway_accepts(client, issuer):
    async with httpx.AsyncClient(base_url=issuer.url) as http:
        answer = await http.post("/token", json={"handle": "bob", "roles": ["operator"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"

    response = await client.get("/whoami", headers=bearer(answer.json()["access_token"]))

    assert response.json()["subject"] == "bob"
    assert response.json()["roles"] == ["member", "operator"]


async def test_an_unreachable_provider_is_a_503_not_a_401():
    settings = Settings(
        auth={"issuer": f"http://127.0.0.1:{free_port()}", "development": True, "fetch_timeout": 2}
    )
    transport = httpx.ASGITransport(app=tiny_app(settings))
    token = forge({"alg": "RS256", "kid": "k1"}, {"sub": "ana"}, lambda _: b"x")
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/whoami", headers=bearer(token))

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM


async def test_a_token_without_a_required_claim_value_is_refused(issuer):
    settings = settings_for(issuer, auth={"required_claims": {"hd": "example.org"}})
    transport = httpx.ASGITransport(app=tiny_app(settings))
    from_the_org = issuer.ring.sign(issuer.claims(hd="example.org"))
    from_elsewhere = issuer.ring.sign(issuer.claims(hd="gmail.com"))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await client.get("/whoami", headers=bearer(from_the_org))).status_code == 200
        assert_invalid_token(await client.get("/whoami", headers=bearer(from_elsewhere)))
        assert_invalid_token(await client.get("/whoami", headers=bearer(issuer.token())))


async def test_a_withdrawn_key_stops_being_trusted_even_for_a_token_verified_before(client, issuer):
    old = issuer.token("ana")
    assert (await client.get("/whoami", headers=bearer(old))).status_code == 200
    assert (await client.get("/whoami", headers=bearer(old))).status_code == 200  # remembered

    issuer.ring.rotate()
    issuer.ring.rotate()  # the key that signed `old` is no longer published
    newest = issuer.token("ana")
    assert (await client.get("/whoami", headers=bearer(newest))).status_code == 200

    assert_invalid_token(await client.get("/whoami", headers=bearer(old)))


async def test_the_keys_are_fetched_once_for_many_requests(client, issuer):
    token = issuer.token("ana")
    for _ in range(3):
        assert (await client.get("/whoami", headers=bearer(token))).status_code == 200

    assert issuer.requests["/jwks"] == 1
