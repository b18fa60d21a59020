"""python -m bench: every benchmark, one after the other."""

from bench import foundation, suggestions

foundation.main()
suggestions.main()
