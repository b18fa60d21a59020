"""What a verified token says about its caller, how the gateway is configured to trust a
provider, and how the development issuer keeps and rotates its keys (no network here: the
verification itself is tested against a served issuer in tests/integration/test_tokens.py)."""

from __future__ import annotations

import jwt
import pytest
from pydantic import ValidationError

from services.gateway.app import create_app
from services.gateway.auth import SECURITY_SCHEME, NotAuthenticated, TokenVerifier, require_role
from services.issuer.app import development_environment, issuer_url
from services.issuer.keys import KeyRing
from shared.runtime import processes
from shared.settings import Settings
from tests.support import deep_merge


def caller_of(claims: dict, **settings):
    defaults = {"auth": {"issuer": "https://idp.example.org"}}
    return TokenVerifier(Settings(**deep_merge(defaults, settings))).caller(claims)


def test_the_caller_is_the_subject_with_its_verified_email_team_and_roles():
    caller = caller_of(
        {
            "sub": "u-1",
            "email": "ana@example.org",
            "email_verified": True,
            "team": "design",
            "roles": ["analyst"],
        }
    )

    assert (caller.subject, caller.email, caller.team) == ("u-1", "ana@example.org", "design")
    assert caller.roles == {"member", "analyst"}


def test_an_unverified_email_names_nobody():
    caller = caller_of({"sub": "u-1", "email": "ceo@example.org", "email_verified": False})

    assert caller.email is None


def test_a_provider_that_only_issues_verified_emails_needs_no_verified_claim():
    caller = caller_of(
        {"sub": "u-1", "email": "ana@example.org"}, auth={"email_verified_claim": ""}
    )

    assert caller.email == "ana@example.org"


def test_keycloak_realm_roles_are_read_through_a_dotted_claim_name():
    claims = {"sub": "u-1", "realm_access": {"roles": ["operator", "offline_access"]}}

    caller = caller_of(claims, auth={"roles_claim": "realm_access.roles"})

    assert caller.roles == {"member", "operator"}  # roles Rapport does not know are left out


def test_a_namespaced_claim_with_dots_in_its_name_is_read_whole():
    claims = {"sub": "u-1", "https://rapport.example.org/team": "sales"}

    caller = caller_of(claims, auth={"team_claim": "https://rapport.example.org/team"})

    assert caller.team == "sales"


def test_roles_may_come_as_a_space_separated_string():
    assert caller_of({"sub": "u-1", "roles": "analyst operator"}).roles == {
        "member",
        "analyst",
        "operator",
    }


def test_the_subject_may_come_from_another_claim():
    caller = caller_of({"sub": "pairwise", "oid": "3f2a-stable"}, auth={"subject_claim": "oid"})

    assert caller.subject == "3f2a-stable"


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "ana@example.org"},  # no subject
        {"sub": 42},
        {"sub": "u-1", "team": "sales\u202e"},  # a team that reads differently
        {"sub": "x" * 1000},
    ],
)
def test_a_token_whose_claims_cannot_name_a_caller_is_refused(claims):
    with pytest.raises(NotAuthenticated):
        caller_of(claims)


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["RS256", "HS512"], []])
def test_only_asymmetric_algorithms_can_be_configured(algorithms):
    with pytest.raises(ValidationError):
        Settings(auth={"algorithms": algorithms})


def test_a_role_requirement_names_known_roles_only():
    with pytest.raises(ValueError, match="admin"):
        require_role("admin")


def test_the_openapi_document_declares_the_bearer_scheme():
    document = create_app(Settings()).openapi()

    assert document["components"]["securitySchemes"]["bearer"] == SECURITY_SCHEME
    assert SECURITY_SCHEME["scheme"] == "bearer"
    assert SECURITY_SCHEME["bearerFormat"] == "JWT"


def test_the_gateway_refuses_to_start_with_a_plain_http_issuer_outside_development_mode():
    with pytest.raises(ValueError, match="https"):
        create_app(Settings(auth={"issuer": "http://idp.example.org"}))


def test_the_development_issuer_runs_only_when_no_provider_is_configured():
    unset = Settings(auth={"issuer": None}, issuer={"port": 8090})
    configured = Settings(auth={"issuer": "https://idp.example.org"})

    assert "issuer" in [p.name for p in processes(unset)]
    assert development_environment(unset) == {
        "RAPPORT_AUTH_ISSUER": "http://127.0.0.1:8090",
        "RAPPORT_AUTH_DEVELOPMENT": "true",
    }
    assert "issuer" not in [p.name for p in processes(configured)]
    assert development_environment(configured) == {}
    assert issuer_url(unset).startswith("http://127.0.0.1:")  # loopback only


def test_a_rotation_signs_with_a_new_key_and_keeps_the_previous_one_published(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    first = ring.ensure()
    second = ring.rotate()
    third = ring.rotate()

    published = [key["kid"] for key in ring.jwks()["keys"]]
    token = ring.sign({"sub": "ana"})

    assert published == [second, third]  # the first key is withdrawn
    assert first not in published
    assert jwt.get_unverified_header(token)["kid"] == third
    assert KeyRing(tmp_path / "keys").ensure() == third  # kept on disk across restarts
    assert all(key["kty"] == "RSA" and "d" not in key for key in ring.jwks()["keys"])
