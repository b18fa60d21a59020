"""What the browser tests need outside Python: Debian's chromium (installed with apt-get when
missing, as tests/promtools.py does for prometheus; Playwright's own browser download is not
used) and axe-core from the npm registry (pinned, installed once under ./var/npm)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE_VERSION = "4.11.0"
ROOT = Path(__file__).resolve().parents[2]
NPM_PREFIX = ROOT / "var" / "npm"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium() -> str:
    """The path of Debian's chromium, installing it first if need be. Fails (never skips):
    the browser tests are part of `make test`."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"{CHROMIUM} is missing and this user cannot apt-get install chromium")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with open("/tmp/rapport-apt.lock", "w") as lock:  # one installer among parallel runs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not Path(CHROMIUM).exists():
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "chromium"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
    assert Path(CHROMIUM).exists(), "apt-get installed chromium but it is not at /usr/bin"
    return CHROMIUM


def axe_source() -> str:
    """axe.min.js of axe-core AXE_VERSION, installed with npm under ./var/npm when missing."""
    script = NPM_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
    package = script.parent / "package.json"
    if not script.exists() or f'"version": "{AXE_VERSION}"' not in package.read_text():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install axe-core for the accessibility checks")
        NPM_PREFIX.mkdir(parents=True, exist_ok=True)
        with open(NPM_PREFIX / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            subprocess.run(
                [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                 str(NPM_PREFIX), f"axe-core@{AXE_VERSION}"],
                check=True,
            )  # fmt: skip
    return script.read_text()
