"""Event payload models, one module per publishing domain."""
