"""Ties running SQL to the current job's cancel token (server-side cancel of superseded queries)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg2
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from desktop.core import cancel

log = logging.getLogger(__name__)


def server_cancel(dbapi: Any) -> Callable[[], None]:
    """What stops the query running on psycopg2 connection `dbapi` (`connection.cancel()`).

    The cancel request goes out from another thread, so by then the query may be over and
    its connection closed (the pool closes an overflow connection when it comes back):
    that is not an error, there is nothing left to cancel.
    """

    def cancel_running() -> None:
        try:
            dbapi.cancel()
        except psycopg2.InterfaceError:  # closed since: its query ended with it
            log.debug("cancel: the connection was already closed")

    return cancel_running


def _before(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    token = cancel.current()
    if token is None:
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        return
    token.attach(server_cancel(dbapi))


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
