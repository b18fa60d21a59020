"""The running API keeps to its OpenAPI document: schemathesis with every check, the stateful
phase included, bounded in examples so that it ends in a few minutes on two cores.

The exact command is in docs/api.md ("Conformance"); `schemathesis_command` is it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.system import System

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
TAGS: tuple[str, ...] = ()  # every operation of the document
MAX_EXAMPLES = 30
TIMEOUT = 600  # seconds: a safety net for a hung run, far above its usual minute


def schemathesis_command(base_url: str, tags: tuple[str, ...] = TAGS) -> list[str]:
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        # members reach the other services by events: see schemathesis.toml
        "--exclude-checks",
        "ensure_resource_availability",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",  # a fixed derandomized run, and no example database
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--no-color",
        *(option for tag in tags for option in ("--include-tag", tag)),
    ]


def test_the_api_conforms_to_its_openapi_document(shared_system: System, tmp_path: Path):
    run = subprocess.run(
        schemathesis_command(str(shared_system.http.base_url).rstrip("/")),
        cwd=tmp_path,
        env=os.environ
        | {
            "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
            # signed in as one member (`make token HANDLE=conformance ROLE=member`)
            "RAPPORT_CONFORMANCE_TOKEN": shared_system.token("conformance"),
        },
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    tested = re.search(r"Tested:\s+(\d+)", run.stdout)
    assert tested and int(tested.group(1)) > 0, run.stdout[-5000:]
