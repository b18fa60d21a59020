"""Schema revisions of the profiles database (shared/migrations runs them)."""
