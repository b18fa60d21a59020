"""Writes the AsyncAPI document FastStream generates for a service's broker.

python -m shared.asyncapi <service>        prints it
make asyncapi                               refreshes docs/asyncapi/<service>.json
"""

from __future__ import annotations

import importlib
import json
import sys

from shared.settings import SERVICES, Settings


def document(service: str) -> str:
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    app = importlib.import_module(f"services.{service}.app")
    # a fixed server address, so the document does not depend on the local environment
    asgi = app.create_app(Settings(nats_url="nats://nats:4222", log_level="WARNING"))
    spec = json.loads(asgi.schema.to_specification().to_json())
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1] == "--write":
        import subprocess
        from pathlib import Path

        target = Path(sys.argv[2])
        target.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:  # one process each: every service registers its own metrics
            text = subprocess.run(
                [sys.executable, "-m", "shared.asyncapi", name],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            (target / f"{name}.json").write_text(text)
    else:
        sys.stdout.write(document(sys.argv[1]))
