"""The OpenAPI document: FastAPI's, with every error response as application/problem+json
and the bearer token scheme (services/gateway/auth/).

Beside what each route declares (its operation's errors), the document states what the edge
itself answers on any route: 400 for a malformed path, 404 for a path naming nothing, 500;
with a body, 400 (malformed JSON, a duplicate key), 413 and 415; with parameters, 422.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.contracts.rpc import Problem

from . import access, auth
from .backends import STATUS_TEXT, problem_response_doc

EDGE_TEXT = STATUS_TEXT | {
    401: "No bearer token, or one that does not verify (see WWW-Authenticate)",
    415: "The body is not application/json",
}
DENYING = ("self", "pair", "among", "analyst", "operator")  # rules that can answer 403
FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"


def _edge_statuses(operation: dict) -> set[int]:
    statuses = {400, 500}
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {413, 415, 422}
    if parameters:
        statuses.add(422)
    return statuses


def _problem_doc(status: int) -> dict:
    if status in STATUS_TEXT:
        return problem_response_doc(status)
    description = EDGE_TEXT.get(status) or HTTPStatus(status).phrase
    return problem_response_doc(400) | {"description": description}


def _as_problems(spec: dict) -> None:
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in _edge_statuses(operation):
                responses.setdefault(str(status), _problem_doc(status))
            for status, response in responses.items():
                if not status.startswith(("4", "5")):
                    continue
                content = response.get("content", {})
                default = content.get("application/json", {}).get("schema", {}).get("$ref")
                if not content or default == FASTAPI_VALIDATION:
                    response["content"] = _problem_doc(int(status))["content"]
            operation["responses"] = dict(sorted(responses.items()))
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in json.dumps(spec["paths"]):
            schemas.pop(name, None)


def _rules(app: FastAPI, spec: dict) -> None:
    """Each route's access rule as `x-rapport-access`, and the 401/403 it can answer."""
    for route in access.api_routes(app):
        if not route.include_in_schema:
            continue
        rule = access.access_of(route)
        for method in route.methods:
            operation = spec["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None or rule is None:
                continue
            operation["x-rapport-access"] = access.describe(rule)
            responses = operation.setdefault("responses", {})
            if rule.kind not in ("public", "signature"):
                operation["security"] = [{"bearer": []}]
                responses.setdefault("401", _problem_doc(401))
            if rule.kind in DENYING:
                responses.setdefault("403", _problem_doc(403))


def install(app: FastAPI) -> None:
    def document() -> dict:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
            # Routes that need a caller name the scheme themselves; declared here too so that
            # the document says how to authenticate before every route does.
            components = spec["components"]
            components.setdefault("securitySchemes", {})["bearer"] = auth.SECURITY_SCHEME
            _rules(app, spec)
            _as_problems(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = document
