"""Alembic as a library: the app's own migrations, found from the installed package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

Direction = Literal["upgrade", "downgrade", "stamp"]
#: Called by Alembic after each step: (ctx=, step=MigrationInfo, heads=, run_args=).
VersionCallback = Callable[..., None]


def script_location() -> Path:
    """The Alembic script directory shipped inside the package (works frozen too)."""
    import desktop.migrations

    return Path(desktop.migrations.__file__).parent


def alembic_config(
    connection: Connection | None = None,
    url: str | None = None,
    scripts: Path | None = None,
    output_buffer: TextIO | None = None,
) -> Config:
    """A Config that runs on `connection` (shared) or on `url`, without any ini file.

    `output_buffer` receives the SQL of offline (`sql=True`) runs.
    """
    config = Config(output_buffer=output_buffer)
    config.set_main_option("script_location", str(scripts or script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    if url is not None:
        config.attributes["url"] = url
    return config


def script_directory(scripts: Path | None = None) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(scripts=scripts))


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


def run_steps(
    config: Config,
    direction: Direction,
    destination: str | Sequence[str],
    *,
    start: Sequence[str] | None = None,
    as_sql: bool = False,
    purge: bool = False,
    on_version_apply: VersionCallback | None = None,
) -> None:
    """`alembic upgrade|downgrade|stamp` as a library call.

    Like `alembic.command`, but offline (`as_sql`) runs start from `start`, which may hold
    several revisions (a database on two branches), and `on_version_apply` is called after
    every step (migrations/env.py passes it to `context.configure`).
    """
    script = ScriptDirectory.from_config(config)
    targets: tuple[str, ...] = (
        (destination,) if isinstance(destination, str) else tuple(destination)
    )

    def steps(current: Any, context: Any) -> Any:
        if direction == "upgrade":
            return script._upgrade_revs(targets[0], current)
        if direction == "downgrade":
            return script._downgrade_revs(targets[0], current)
        return script._stamp_revs(targets, current)

    if on_version_apply is not None:
        config.attributes["on_version_apply"] = [on_version_apply]
    starting: Any = None
    if as_sql:
        starting = tuple(start) if start else "base"
    with EnvironmentContext(
        config,
        script,
        fn=steps,
        as_sql=as_sql,
        starting_rev=starting,
        destination_rev=targets if direction == "stamp" else targets[0],
        purge=purge,
    ):
        script.run_env()
