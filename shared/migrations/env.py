"""Alembic's environment, the same for every service: `shared.migrations` runs it with the
service's name and an open connection in `config.attributes` (see `shared/migrations/__init__`).
"""

from __future__ import annotations

from alembic import context

from shared.migrations import include_object_for, render_item, target_metadata

config = context.config
service = config.attributes["service"]
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=target_metadata(service),
    include_object=include_object_for(service),
    render_item=render_item,
    # batch operations: ALTER on SQLite (table copy) and plain ALTER on PostgreSQL
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
