"""python -m bench: every benchmark, one after the other."""

import sys

from bench import aggregator, foundation

for benchmark in (foundation, aggregator):
    sys.argv = sys.argv[:1]  # each runs with its defaults
    benchmark.main()
