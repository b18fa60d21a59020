"""docs/asyncapi/<service>.json is what FastStream generates from the code (`make asyncapi`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import SERVICES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_asyncapi_document_matches_the_code(service: str):
    generated = subprocess.run(
        [sys.executable, "-m", "shared.asyncapi", service],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (DOCS / f"{service}.json").read_text()
    assert generated == committed, f"docs/asyncapi/{service}.json is stale: run `make asyncapi`"
