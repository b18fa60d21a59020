"""Schema revisions of the aggregator database (shared/migrations runs them)."""
