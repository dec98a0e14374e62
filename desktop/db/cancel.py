"""Ties running SQL to the current job's cancel token (server-side cancel of superseded queries)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from desktop.core import cancel


def _before(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    token = cancel.current()
    if token is None:
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        return
    token.attach(dbapi.cancel)


def _after(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    token = cancel.current()
    if token is not None:
        token.detach()


def _on_error(context: Any) -> None:
    token = cancel.current()
    if token is not None:
        token.detach()


def install(engine: Engine) -> Engine:
    """Make every statement `engine` runs cancellable through the job's token (idempotent)."""
    if not event.contains(engine, "before_cursor_execute", _before):
        event.listen(engine, "before_cursor_execute", _before)
        event.listen(engine, "after_cursor_execute", _after)
        event.listen(engine, "handle_error", _on_error)
    return engine
