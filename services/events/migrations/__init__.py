"""Schema revisions of the events database (shared/migrations runs them)."""
