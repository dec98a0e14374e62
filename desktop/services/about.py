"""What the About dialog tells about the connected database."""

from __future__ import annotations

from desktop.services.database import Database


def schema_revision(database: Database) -> str:
    """The database's migration revision(s), in words (blocking: call from a worker)."""
    from desktop.db import migrate  # Alembic: imported on demand, off start-up

    with database.engine.connect() as connection:
        return ", ".join(migrate.current_revisions(connection)) or "none (not migrated)"
