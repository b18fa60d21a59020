"""Every operation is declared once and both documents come from the declarations."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from shared.contracts.operations import operations_of
from shared.settings import SERVICES, Settings

DOCS = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_answers_exactly_its_declared_operations(service: str):
    app = importlib.import_module(f"services.{service}.app").create_app(
        Settings(nats={"url": "nats://127.0.0.1:1"}, log={"level": "WARNING"})
    )
    rpc_prefix = f"rapport.rpc.{service}."
    served = {
        s.subject.broker_address
        for s in app.broker.subscribers
        if s.subject.broker_address.startswith("rapport.rpc.")
    }

    declared = {op.subject for op in operations_of(service)}
    assert served == declared
    assert all(subject.startswith(rpc_prefix) for subject in served)


@pytest.mark.parametrize("service", SERVICES)
def test_the_asyncapi_document_has_a_schema_for_every_subject(service: str):
    spec = json.loads((DOCS / f"{service}.json").read_text())
    messages = spec["components"]["messages"]
    schemas = spec["components"]["schemas"]

    for name, message in messages.items():
        payload = message["payload"]
        if "$ref" in payload:
            payload = schemas[payload["$ref"].rsplit("/", 1)[-1]]
        assert payload.get("title") != "EmptyPayload", name
        assert payload.get("properties") or payload.get("type") == "object", name
    for op in operations_of(service):
        assert op.subject in spec["channels"], op.subject


def test_every_gateway_route_declares_its_reply_and_its_problems():
    from services.gateway.app import create_app

    spec = create_app(Settings(nats={"url": "nats://127.0.0.1:1"})).openapi()
    for path, methods in spec["paths"].items():
        for method, route in methods.items():
            for status, response in route["responses"].items():
                content = response.get("content", {})
                where = f"{method.upper()} {path} {status}"
                if status.startswith("2"):
                    if status in ("202", "204"):
                        continue
                    schema = content["application/json"]["schema"]
                    assert "$ref" in schema or schema.get("type") in ("array", "string"), where
                elif (path, status) != ("/readyz", "503"):  # readiness reports, not a problem
                    assert list(content) == ["application/problem+json"], where
