"""python -m bench: every benchmark, one after the other."""

from bench import content, foundation

foundation.main()
content.main()
