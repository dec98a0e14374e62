"""An open database: its engine, what it is, and how to describe it to people."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from desktop.core import memory
from desktop.core.errors import ConnectionFailed, KnownError
from desktop.core.profiles import Profile
from desktop.db import errors
from desktop.db.engine import make_engine
from desktop.services.browse import warm_statement_cache


@dataclass(frozen=True)
class ServerInfo:
    version: str
    user: str
    database: str
    read_only: bool


@dataclass
class Database:
    """A connected database as the rest of the app sees it.

    `profile` is the connection profile it was opened with (None for the demo and for
    plain URLs); `health` says whether the server was found gone since the last success.
    """

    engine: Engine
    label: str
    environment: str
    info: ServerInfo
    profile: Profile | None = None
    health: errors.ConnectionHealth = field(default_factory=errors.ConnectionHealth)

    @property
    def read_only(self) -> bool:
        """Writes must be disabled: the profile says so, or the session is read-only."""
        return self.info.read_only or (self.profile is not None and self.profile.read_only)

    @property
    def requires_write_confirmation(self) -> bool:
        """Production: every write asks the user first, showing what will change."""
        return self.environment == "production"

    @property
    def connection_lost(self) -> str | None:
        """A message when the last use found the server gone; None when all is well."""
        return self.health.lost

    def dispose(self) -> None:
        self.engine.dispose()


def server_info(engine: Engine) -> ServerInfo:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT current_setting('server_version'), current_user, current_database(),"
                " current_setting('transaction_read_only') = 'on'"
            )
        ).one()
    return ServerInfo(version=row[0], user=row[1], database=row[2], read_only=bool(row[3]))


def open_database(url: str, *, label: str, environment: str, read_only: bool = False) -> Database:
    """Connect (blocking; call from a worker) and describe the server."""
    engine = make_engine(url, read_only=read_only)
    parsed = make_url(url)
    target = errors.Target(
        host=parsed.host or "localhost",
        port=parsed.port or 5432,
        database=parsed.database or "",
        user=parsed.username or "",
    )
    health = errors.ConnectionHealth()
    errors.install(engine, target, health)
    try:
        info = server_info(engine)
    except KnownError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise ConnectionFailed(f"Could not connect to {label}: {exc.orig}") from exc
    warm_statement_cache(engine)
    memory.freeze_long_lived()  # the app is loaded and connected: see desktop/core/memory.py
    return Database(engine=engine, label=label, environment=environment, info=info, health=health)
