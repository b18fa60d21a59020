"""Sampling a service process while a benchmark runs (`--profile DIR` of the benchmarks):
py-spy's collapsed stacks, one file per service, and a summary of where the time goes.

py-spy is not a dependency: `pip install py-spy` to use it."""

from __future__ import annotations

import collections
import contextlib
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.system import System


@contextlib.contextmanager
def sampled(system: System, services: list[str], directory: str | None) -> Iterator[None]:
    """Sample `services` (by name in `system`) while the block runs, when `directory` is set."""
    if not directory or not services:
        yield
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    Path(directory).mkdir(parents=True, exist_ok=True)
    samplers = {
        name: subprocess.Popen(
            [
                *(py_spy, "record", "-f", "raw", "-r", "50"),
                *("-p", str(system.processes[name].pid)),
                *("-o", str(Path(directory) / f"{name}.collapsed")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in services
    }
    try:
        yield
    finally:
        for sampler in samplers.values():
            sampler.send_signal(signal.SIGINT)
        for name, sampler in samplers.items():
            sampler.wait(30)
            summary = summarise(Path(directory) / f"{name}.collapsed")
            (Path(directory) / f"{name}.txt").write_text(summary)
            print(f"  profile of {name}: {Path(directory) / f'{name}.txt'}", flush=True)


def summarise(collapsed: Path, top: int = 40) -> str:
    """The functions that most samples pass through (inclusive) and end in (self)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top * 2)]
    lines += ["", "self:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines) + "\n"
