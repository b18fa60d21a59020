"""Opaque pagination cursors the API can verify: a position signed with HMAC-SHA256.

A cursor is `base64url(json {"s": scope, "p": position}) "." base64url(mac)`. The scope names
the listing (e.g. one member's feed in one order), so a cursor is refused anywhere but where
it was issued; anything that is not a cursor this key signed for this scope is refused with
400 naming `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any

from shared.errors import DomainError

if TYPE_CHECKING:
    from shared.db import KeptValues

MAC_BYTES = 16
MAX_LENGTH = 1024


class BadCursor(DomainError):
    code, title = "bad-cursor", "Bad cursor"

    def __init__(self) -> None:
        super().__init__(
            "this cursor was not issued by the API for this listing; start again without a cursor",
            field="cursor",
        )


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def kept_key(values: KeptValues, secret: str | None) -> bytes:
    """The key of a service's cursors: from the configured secret (RAPPORT_CURSOR_SECRET),
    else generated at first start and kept in the service's database, so that restarts and
    replicas accept each other's cursors. Two replicas storing one at once: the loser's
    insert fails (IntegrityError) and it reads the winner's."""
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    key = await values.get("cursor_key")
    if key is None:
        key = secrets.token_hex(32)
        await values.put("cursor_key", key)
    return bytes.fromhex(key)


class Cursors:
    def __init__(self, key: bytes | None = None) -> None:
        self.key = key

    def _mac(self, payload: bytes) -> bytes:
        if not self.key:
            raise RuntimeError("the cursor key is not loaded yet")
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def issue(self, scope: str, position: list[Any]) -> str:
        payload = json.dumps({"s": scope, "p": position}, separators=(",", ":")).encode()
        return f"{_encode(payload)}.{_encode(self._mac(payload))}"

    def read(self, cursor: str, scope: str) -> list[Any]:
        """The position signed in `cursor` for `scope`; raises BadCursor otherwise."""
        if len(cursor) > MAX_LENGTH or cursor.count(".") != 1:
            raise BadCursor()
        payload_text, mac_text = cursor.split(".")
        try:
            payload, mac = _decode(payload_text), _decode(mac_text)
        except (binascii.Error, ValueError):
            raise BadCursor() from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise BadCursor()
        try:
            data = json.loads(payload)
        except ValueError:
            raise BadCursor() from None
        if not isinstance(data, dict) or data.get("s") != scope or set(data) != {"s", "p"}:
            raise BadCursor()
        position = data["p"]
        if not isinstance(position, list):
            raise BadCursor()
        return position
