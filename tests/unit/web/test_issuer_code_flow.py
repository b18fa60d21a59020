"""The development issuer's authorization code flow: the sign-in page, codes bound to the
client, the redirect URI and the PKCE challenge, used once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fastapi.testclient import TestClient

from services.issuer.app import Minter, create_app
from services.issuer.authorize import s256
from services.issuer.keys import KeyRing

ISSUER = "http://127.0.0.1:8090"
VERIFIER = "a-verifier-of-enough-length-for-pkce-0123456789-abcdefghijklmnop"
REDIRECT = "http://127.0.0.1:8000/signin/callback"


@pytest.fixture
def issuer(tmp_path) -> TestClient:
    return TestClient(create_app(Minter(KeyRing(tmp_path), ISSUER, "rapport", 3600)))


def authorization(**changes: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "rapport-web",
        "redirect_uri": REDIRECT,
        "scope": "openid email profile",
        "state": "the-state",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    } | changes


def code_for(issuer: TestClient, handle: str = "ana", role: str = "member", **changes) -> str:
    form = authorization(**changes) | {"handle": handle, "role": role, "team": "research"}
    answer = issuer.post("/authorize", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["the-state"]
    return query["code"][0]


def exchange(issuer: TestClient, code: str, verifier: str = VERIFIER, **changes):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "rapport-web",
        "code_verifier": verifier,
    } | changes
    return issuer.post("/token", data=form)


def test_discovery_names_the_endpoints_of_the_code_flow_with_pkce(issuer):
    document = issuer.get("/.well-known/openid-configuration").json()
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["token_endpoint"] == f"{ISSUER}/token"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "code" in document["response_types_supported"]


def test_the_sign_in_page_asks_for_a_handle_a_role_and_a_team(issuer):
    page = issuer.get("/authorize", params=authorization())
    assert page.status_code == 200
    for label in ('for="handle"', 'for="role"', 'for="team"'):
        assert label in page.text
    assert 'value="the-state"' in page.text


def test_a_request_without_pkce_is_refused_on_the_page(issuer):
    page = issuer.get("/authorize", params=authorization(code_challenge_method="plain"))
    assert page.status_code == 400
    assert "PKCE is required" in page.text


def test_a_bad_handle_is_named_next_to_its_field(issuer):
    form = authorization() | {"handle": "A b", "role": "member"}
    page = issuer.post("/authorize", data=form)
    assert page.status_code == 400
    assert 'id="handle-error"' in page.text
    assert 'aria-invalid="true"' in page.text


def test_a_code_and_its_verifier_give_a_token_for_the_chosen_member_and_role(issuer, tmp_path):
    token = exchange(issuer, code_for(issuer, "ana", "analyst")).json()
    assert token["token_type"] == "Bearer"
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["roles"], claims["team"]) == ("ana", ["analyst"], "research")
    assert claims["iss"] == ISSUER


def test_a_code_is_used_once(issuer):
    code = code_for(issuer)
    assert exchange(issuer, code).status_code == 200
    again = exchange(issuer, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_wrong_verifier_gets_no_token(issuer):
    refused = exchange(issuer, code_for(issuer), verifier="another-verifier-" + "x" * 40)
    assert refused.status_code == 400
    assert "code_verifier" in refused.json()["error_description"]


def test_another_redirect_uri_or_client_gets_no_token(issuer):
    assert (
        exchange(issuer, code_for(issuer), redirect_uri="http://evil.example/cb").status_code == 400
    )
    assert exchange(issuer, code_for(issuer), client_id="someone-else").status_code == 400


def test_the_json_token_request_of_make_token_still_works(issuer):
    answer = issuer.post("/token", json={"handle": "ben", "roles": ["member"]})
    assert answer.status_code == 200
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "ben"
    assert issuer.post("/token", json={"handle": "B E N"}).status_code == 422
