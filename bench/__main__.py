"""python -m bench: every benchmark, one after the other."""

import sys

from bench import aggregator, content, foundation, webhooks

for benchmark in (foundation, content, aggregator, webhooks):
    sys.argv = sys.argv[:1]  # each runs with its defaults
    benchmark.main()
