"""Prometheus and promtool for the tests, from Debian's `prometheus` package, installed when
missing (CI runs as root). The package's own service is never started: invoke-rc.d is told
no while it installs, so no system Prometheus is left running."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

POLICY = Path("/usr/sbin/policy-rc.d")


@contextlib.contextmanager
def _services_not_started():
    """Debian's way to keep a package's service from starting at install (exit 101)."""
    if POLICY.exists():
        yield
        return
    POLICY.write_text(
        "#!/bin/sh\n# written by Rapport's tests while installing prometheus\nexit 101\n"
    )
    POLICY.chmod(0o755)
    try:
        yield
    finally:
        POLICY.unlink(missing_ok=True)


def _install() -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with open("/tmp/rapport-apt.lock", "w") as lock:  # one installer among parallel runs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shutil.which("promtool") and shutil.which("prometheus"):
            return
        with _services_not_started():
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "prometheus"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )


def binaries() -> tuple[str, str]:
    """Paths of `prometheus` and `promtool`, installing them first if need be."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus and promtool:
        return prometheus, promtool
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("prometheus is not installed and this user cannot apt-get install it")
    _install()
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    assert prometheus and promtool, "apt-get installed prometheus but it is not on PATH"
    return prometheus, promtool
