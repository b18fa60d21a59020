"""Schema revisions of the content database (shared/migrations runs them)."""
