"""Schema revisions of the connections database (shared/migrations runs them)."""
