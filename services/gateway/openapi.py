"""The OpenAPI document: FastAPI's, with the problem+json schema every error response uses
and the bearer token scheme (services/gateway/auth.py)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.contracts.rpc import Problem

from . import auth


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
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = document
