"""python -m bench: every benchmark, one after the other."""

import sys

from bench import aggregator, bus, content, foundation, suggestions, webhooks

for benchmark in (foundation, content, suggestions, aggregator, webhooks, bus):
    sys.argv = sys.argv[:1]  # each runs with its defaults
    benchmark.main()
