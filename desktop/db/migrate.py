"""Alembic as a library: the app's own migrations, found from the installed package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine


def script_location() -> Path:
    """The Alembic script directory shipped inside the package (works frozen too)."""
    import desktop.migrations

    return Path(desktop.migrations.__file__).parent


def alembic_config(
    connection: Connection | None = None,
    url: str | None = None,
    scripts: Path | None = None,
) -> Config:
    """A Config that runs on `connection` (shared) or on `url`, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(scripts or script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revisions(scripts: Path | None = None) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config(scripts=scripts)).get_heads())


def current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade_to_head(engine: Engine, scripts: Path | None = None) -> None:
    """Bring the database to the newest revision in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection, scripts=scripts), "heads")


def is_at_head(engine: Engine, scripts: Path | None = None) -> bool:
    with engine.connect() as connection:
        return set(current_revisions(connection)) == set(head_revisions(scripts))
