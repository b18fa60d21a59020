"""python -m bench: every benchmark, one after the other, each printing its figures beside
their own baselines (the ratios are what to compare between runs), with the machine's load
before each. bench.throughput and bench.aggregator run on SQLite and, when TEST_DATABASE_URL
names a server, on PostgreSQL too (with two replicas of content); the others run on SQLite."""

import os
import sys
import time

from bench import aggregator, bus, content, foundation, suggestions, throughput, web, webhooks

started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
print(f"make bench, {started}, {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
for benchmark in (throughput, webhooks, content, suggestions, foundation, aggregator, bus, web):
    sys.argv = sys.argv[:1]  # each runs with its defaults
    print(
        f"\n##### {benchmark.__name__} (load average {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    benchmark.main()
print(f"\nload average at the end {os.getloadavg()}", flush=True)
