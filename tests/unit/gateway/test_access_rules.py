"""Every route has an access rule, declared with its operation, and docs/api.md says which."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI

from services.gateway import access
from services.gateway.app import create_app
from shared.contracts.operations import operations_of
from shared.settings import SERVICES
from tests.support import test_settings

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(test_settings("nats://127.0.0.1:1"))


def test_the_rules_table_of_the_docs_is_the_code(app):
    text = DOCS.read_text()
    documented = text.split("<!-- access-rules:begin -->\n")[1].split("<!-- access-rules:end -->")[
        0
    ]
    assert documented == access.rules_table(app)


def test_every_route_of_the_gateway_applies_a_rule(app):
    assert all(access.access_of(route) is not None for route in access.api_routes(app))


def test_a_route_added_without_a_rule_stops_the_gateway_from_starting():
    app = FastAPI()
    router = APIRouter()

    @router.get("/v1/unguarded")
    async def unguarded() -> dict:
        return {}

    app.include_router(router)
    with pytest.raises(ValueError, match="/v1/unguarded"):
        access.install(app)


def test_only_internal_operations_have_no_rule():
    internal = {
        (op.service, op.name)
        for service in SERVICES
        if service != "gateway"
        for op in operations_of(service)
        if op.access is None
    }
    assert internal == {("profiles", "member_of_subject")}
