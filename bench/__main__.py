"""python -m bench: every benchmark, one after the other."""

from bench import foundation, webhooks

foundation.main()
webhooks.main()
