"""NATS credentials: made once (random passwords, files readable by their owner only), and
the connection options that give a process its own identity.

A process connects as `RAPPORT_NATS_USER` (default: its own identity) with
`RAPPORT_NATS_PASSWORD`, or the password in `RAPPORT_NATS_PASSWORD_FILE` (a mounted
secret), or else the one `make run` generated under `<data dir>/secrets/`.
`RAPPORT_NATS_AUTH=off` connects anonymously, to a server started without authorization
(development only).

`python -m shared.messaging.credentials` writes the credentials (if missing) and the server's
authorization file, for docker compose: `make credentials`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from faststream.nats.security import NatsUserPassword

from shared.messaging.permissions import IDENTITIES, inbox_prefix, server_config
from shared.settings import Settings, get_settings

SERVER_CONFIG = "nats-auth.conf"


def secrets_dir(settings: Settings) -> Path:
    return settings.data_dir / "secrets"


def password_file(directory: Path, identity: str) -> Path:
    return directory / f"nats-{identity}.password"


def _write_private(path: Path, text: str) -> None:
    """Create or replace `path` readable and writable by its owner only, from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    temporary.replace(path)


def ensure_credentials(directory: Path, identities: tuple[str, ...] = IDENTITIES) -> dict[str, str]:
    """Each identity's password, generated the first time (a missing file is a rotation:
    a new password; restart the server and the identity's processes)."""
    passwords = {}
    for identity in identities:
        path = password_file(directory, identity)
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(32))
        passwords[identity] = path.read_text().strip()
    return passwords


def write_server_config(
    directory: Path,
    passwords: dict[str, str],
    *,
    unrestricted: tuple[str, ...] = (),
) -> Path:
    """The nats-server authorization file (it holds the passwords: owner-only too)."""
    path = directory / SERVER_CONFIG
    _write_private(
        path,
        server_config(passwords, unrestricted=unrestricted),
    )
    return path


def nats_password(settings: Settings, user: str) -> str | None:
    if settings.nats.password is not None:
        return settings.nats.password.get_secret_value()
    if settings.nats.password_file is not None:
        return settings.nats.password_file.read_text().strip()
    generated = password_file(secrets_dir(settings), user)
    return generated.read_text().strip() if generated.exists() else None


def connect_options(settings: Settings, identity: str) -> dict[str, Any]:
    """Keyword arguments for `nats.connect`: the servers, and unless authentication is off,
    the identity (`identity` unless settings name another) with its password and its own
    inbox prefix."""
    options: dict[str, Any] = {"servers": settings.nats.url.split(",")}
    if not settings.nats.auth:
        return options
    user = settings.nats.user or identity
    password = nats_password(settings, user)
    if password is None:  # credentials in the URL, or none: the server decides
        return options
    return options | {"user": user, "password": password, "inbox_prefix": inbox_prefix(user)}


def pull_inbox_prefix(settings: Settings, identity: str) -> bytes:
    """The inbox prefix a pull subscription's fetches use (nats-py does not take the
    connection's own for them)."""
    if not settings.nats.auth:
        return b"_INBOX."
    return f"{inbox_prefix(settings.nats.user or identity)}.".encode()


def broker_options(settings: Settings, identity: str) -> dict[str, Any]:
    """The same for a FastStream `NatsBroker` (its AsyncAPI document then states that the
    bus takes a user and password). With no password found, the server refuses the
    connection: authentication is never dropped silently."""
    options: dict[str, Any] = {"servers": settings.nats.url.split(",")}
    if not settings.nats.auth:
        return options
    user = settings.nats.user or identity
    password = nats_password(settings, user) or ""
    return options | {
        "security": NatsUserPassword(user, password),
        "inbox_prefix": inbox_prefix(user),
    }


def main() -> None:
    settings = get_settings()
    directory = secrets_dir(settings)
    passwords = ensure_credentials(directory)
    config = write_server_config(directory, passwords)
    print(f"credentials in {directory}; server authorization in {config}")


if __name__ == "__main__":
    main()
