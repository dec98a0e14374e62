"""An open database: its engine, what it is, and how to describe it to people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import ConnectionFailed
from desktop.db.engine import make_engine


@dataclass(frozen=True)
class ServerInfo:
    version: str
    user: str
    database: str
    read_only: bool


@dataclass
class Database:
    """A connected database as the rest of the app sees it."""

    engine: Engine
    label: str
    environment: str
    info: ServerInfo

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
    try:
        info = server_info(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise ConnectionFailed(f"Could not connect to {label}: {exc.orig}") from exc
    return Database(engine=engine, label=label, environment=environment, info=info)
