"""Payload adapters, one small module per platform, behind one interface.

`adapter.normalise(payload)` returns the delivery's intents, or raises:
- `PayloadInvalid` when the payload breaks the platform's schema (the gateway answers 400);
- `UnsupportedType` when the payload's type is one the adapter does not handle (the gateway
  accepts it; the events service keeps it as a failed delivery, to replay after a fix).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.webhooks.intents import Intent


class PayloadInvalid(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: str = "") -> PayloadInvalid:
        return cls(
            [
                (
                    ".".join(str(part) for part in (prefix, *e["loc"]) if part != "") or "body",
                    e["msg"],
                )
                for e in error.errors()
            ]
        )


class UnsupportedType(ValueError):
    pass


@dataclass(frozen=True)
class Adapter:
    name: str
    types: tuple[str, ...]
    normalise: Callable[[Any], list[Intent]]


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PayloadInvalid([("body", "not valid JSON")]) from None


def normalise(adapter: Adapter, body: bytes) -> list[Intent]:
    """The intents of a raw body, by `adapter`'s rules."""
    return adapter.normalise(parse_json(body))


def _registry() -> dict[str, Adapter]:
    from . import luma, rapport

    return {a.name: a for a in (rapport.ADAPTER, luma.ADAPTER)}


ADAPTERS: dict[str, Adapter] = _registry()
