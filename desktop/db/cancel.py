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


#: Set in a pooled connection's info when a cancel request was sent on it.
CANCEL_SENT = "tenantry_cancel_sent"


def server_cancel(dbapi: Any, info: dict[Any, Any] | None = None) -> Callable[[], None]:
    """What stops the query running on psycopg2 connection `dbapi` (`connection.cancel()`).

    The cancel request goes out from another thread, so by then the query may be over and
    its connection closed (the pool closes an overflow connection when it comes back):
    that is not an error, there is nothing left to cancel. The server acts on the request
    whenever it arrives, maybe during a later statement on the same connection, so the
    pooled connection's `info` is marked: it is closed when it comes back to the pool,
    never handed to the next job (whose query the late cancel would stop).
    """

    def cancel_running() -> None:
        if info is not None:
            info[CANCEL_SENT] = True
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
    token.attach(server_cancel(dbapi, conn.info))


def _after(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    token = cancel.current()
    if token is not None:
        token.detach()


def _on_error(context: Any) -> None:
    token = cancel.current()
    if token is not None:
        token.detach()


def _checkin(dbapi_connection: Any, record: Any) -> None:
    if record is not None and record.info.pop(CANCEL_SENT, False):
        record.invalidate()  # a late cancel then finds no query of anyone's to stop


def install(engine: Engine) -> Engine:
    """Make every statement `engine` runs cancellable through the job's token (idempotent)."""
    if not event.contains(engine, "before_cursor_execute", _before):
        event.listen(engine, "before_cursor_execute", _before)
        event.listen(engine, "after_cursor_execute", _after)
        event.listen(engine, "handle_error", _on_error)
    if not event.contains(engine.pool, "checkin", _checkin):
        event.listen(engine.pool, "checkin", _checkin)
    return engine
