"""Alembic environment: runs on the connection handed over by canteen.migrate."""
from __future__ import annotations

from alembic import context

import canteen.models  # noqa: F401  (fills the metadata)
from canteen.db import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate on the connection in ``config.attributes['connection']``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported; run `canteen init-db`")
run_migrations_online()
