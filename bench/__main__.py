"""python -m bench: every benchmark, one after the other."""

import sys

from bench import aggregator, foundation, webhooks

for benchmark in (foundation, aggregator, webhooks):
    sys.argv = sys.argv[:1]  # each runs with its defaults
    benchmark.main()
