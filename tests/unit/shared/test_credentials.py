"""Each process's NATS identity: made once, found by the process, never dropped silently."""

from __future__ import annotations

from shared.messaging.credentials import (
    broker_options,
    connect_options,
    ensure_credentials,
    secrets_dir,
)
from shared.settings import Settings


def test_credentials_are_made_once_readable_by_their_owner_only(tmp_path):
    first = ensure_credentials(tmp_path / "secrets", ("profiles", "gateway"))
    again = ensure_credentials(tmp_path / "secrets", ("profiles", "gateway"))

    assert again == first and first["profiles"] != first["gateway"]
    assert len(first["profiles"]) >= 40
    files = sorted((tmp_path / "secrets").iterdir())
    assert [f.name for f in files] == ["nats-gateway.password", "nats-profiles.password"]
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700


def test_a_process_connects_as_itself_with_the_password_make_run_made(tmp_path):
    settings = Settings(nats={"url": "nats://a:4222,nats://b:4222"}, data_dir=tmp_path)
    password = ensure_credentials(secrets_dir(settings), ("content",))["content"]

    options = connect_options(settings, "content")

    assert options == {
        "servers": ["nats://a:4222", "nats://b:4222"],
        "user": "content",
        "password": password,
        "inbox_prefix": "_INBOX.content",
    }
    broker = broker_options(settings, "content")
    assert (broker["security"].username, broker["security"].password) == ("content", password)


def test_configured_identity_and_password_file_come_first(tmp_path):
    secret = tmp_path / "mounted"
    secret.write_text("from-the-secret-store\n")
    settings = Settings(data_dir=tmp_path, nats={"user": "provisioning", "password_file": secret})

    options = connect_options(settings, "aggregator")

    assert (options["user"], options["password"]) == ("provisioning", "from-the-secret-store")
    assert options["inbox_prefix"] == "_INBOX.provisioning"


def test_with_no_password_the_broker_still_presents_its_identity_and_is_refused(tmp_path):
    broker = broker_options(Settings(data_dir=tmp_path), "events")
    assert (broker["security"].username, broker["security"].password) == ("events", "")


def test_authentication_is_off_only_when_said_so(tmp_path, monkeypatch):
    monkeypatch.setenv("RAPPORT_NATS_AUTH", "off")
    settings = Settings(data_dir=tmp_path)
    assert settings.nats.auth is False
    assert connect_options(settings, "events") == {"servers": ["nats://127.0.0.1:4222"]}
    assert broker_options(settings, "events") == {"servers": ["nats://127.0.0.1:4222"]}
