"""docs/operations.md shows the permission table the server is configured with."""

from __future__ import annotations

import re
from pathlib import Path

from shared.messaging.permissions import IDENTITIES, markdown_table, server_config

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_the_documented_permission_table_is_the_generated_one():
    text = OPERATIONS.read_text()
    found = re.search(r"<!-- permissions:start[^>]*-->\n(.*?)<!-- permissions:end -->", text, re.S)
    assert found, "docs/operations.md has no generated permission table"
    assert found.group(1) == markdown_table(), (
        "stale: paste the output of python -m shared.messaging.permissions"
    )


def test_the_server_configuration_names_every_identity_with_its_password_only():
    passwords = {identity: f"pw-{identity}" for identity in IDENTITIES}
    config = server_config(passwords)
    assert config.startswith("authorization {")
    for identity in IDENTITIES:
        assert f'"user": "{identity}"' in config
        assert f'"password": "pw-{identity}"' in config
    assert "no_auth_user" not in config  # nobody connects without credentials
