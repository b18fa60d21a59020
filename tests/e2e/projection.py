"""Reads of the aggregator for members whose facts a test injects straight into the streams:
they were never registered, so no token names them, and the gateway would refuse every read
of theirs. These go over NATS with the very operations the gateway's routes call."""

from __future__ import annotations

import asyncio

import httpx
from faststream.nats import NatsBroker
from pydantic import ValidationError

from shared.contracts.api import aggregator as api
from shared.contracts.rpc import Problem
from shared.messaging.rpc import RemoteProblem, call
from tests.e2e.system import System


class Projection:
    """Reads the aggregator as the gateway's routes do, over NATS with the same operations,
    for members whose facts these tests inject: they were never registered, so no token
    names them (the gateway's own checks are the authorization tests')."""

    def __init__(self, system: System) -> None:
        self.url = system.nats_url  # the tests' own identity (it may ask any service)

    def get(self, path: str, params: dict | None = None) -> httpx.Response:
        return asyncio.run(self._get(path, dict(params or {})))

    async def _get(self, path: str, params: dict) -> httpx.Response:
        try:
            operation, request = self._request(path, params)
        except ValidationError as invalid:  # as the gateway answers a bad parameter
            return _problem(Problem.from_validation(invalid))
        broker = NatsBroker(self.url)
        await broker.connect()
        try:
            reply = await call(broker, operation, request, timeout=30)
        except RemoteProblem as problem:
            return _problem(problem.problem)
        finally:
            await broker.stop()
        return httpx.Response(200, json=reply.model_dump(mode="json"))

    @staticmethod
    def _request(path: str, params: dict):
        parts = path.strip("/").split("/")
        if parts[1] == "relationships":
            operation, request = (
                api.pair,
                api.PairQuery(member_id=parts[2], other_id=parts[3], **params),
            )
        elif parts[3] == "relationships":
            operation, request = (
                api.relationships,
                api.RelationshipsQuery(member_id=parts[2], **params),
            )
        else:
            operation, request = api.balance, api.MemberQuery(member_id=parts[2], **params)
        return operation, request


def _problem(problem: Problem) -> httpx.Response:
    return httpx.Response(
        problem.status,
        content=problem.model_dump_json().encode(),
        headers={"content-type": "application/problem+json"},
    )
