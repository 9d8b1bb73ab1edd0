"""Alembic's environment: runs on the connection the coach hands over (see ensure_schema).

There is no alembic.ini and no URL here: `assistant.migrations.alembic_config(connection)`
puts the open connection in `config.attributes`, and its transaction is the migration's.
"""

from __future__ import annotations

from alembic import context

from assistant.db import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "Run migrations through the coach (assistant.migrations.ensure_schema) or "
        "`python -m assistant.migrations`, which pass an open connection."
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
