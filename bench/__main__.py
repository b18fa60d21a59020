"""python -m bench: every benchmark, one after the other."""

import sys

from bench import aggregator, content, foundation, suggestions, webhooks

for benchmark in (foundation, content, suggestions, aggregator, webhooks):
    sys.argv = sys.argv[:1]  # each runs with its defaults
    benchmark.main()
