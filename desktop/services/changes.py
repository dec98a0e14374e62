"""Which rows a transaction changed, published on the hub when (and only when) it commits.

Every write records its audit rows in its own transaction (`services/audit.py`); recording
one also notes the row here, on the connection. Statements that write many rows and their
audit rows at once (bulk changes, CSV import) note their ids themselves. A COMMIT on the
session's engine publishes the notes as `RowsChanged` events; a ROLLBACK drops them, so a
view never hears of a change that did not happen. This is how the one write path reports
"these rows changed", whatever the write was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.exc import SQLAlchemyError

from desktop.core.events import DELETE, INSERT, UPDATE, Hub, RowsChanged

_KEY = "tenantry.changes"  # noted by this transaction
_COMMITTED = "tenantry.changes.committed"  # its COMMIT was sent: published once it is done

_Note = tuple[str, str, frozenset[str] | None]  # (table, action, columns)


def action_of(before: Any, after: Any) -> str | None:
    """What an audited change did to its row, from the record's shape: no before is an
    insert, no after a delete, both an update, neither (a reveal) changed no row."""
    if before is None:
        return INSERT if after is not None else None
    return DELETE if after is None else UPDATE


def changed_columns(before: Any, after: Any) -> frozenset[str] | None:
    """The keys whose values differ between two audit records (None: not comparable)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    return frozenset(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def note(
    connection: Connection,
    table: str,
    ids: Iterable[int],
    action: str,
    columns: Iterable[str] | None = None,
) -> None:
    """Remember that this transaction changed `ids` of `table` (published on COMMIT)."""
    pending: dict[_Note, set[int]] = connection.info.setdefault(_KEY, {})
    key = (table, action, frozenset(columns) if columns is not None else None)
    pending.setdefault(key, set()).update(int(i) for i in ids)


def attach(engine: Engine, hub: Hub) -> None:
    """Publish each committed transaction's notes on `hub`; drop a rolled-back one's.

    SQLAlchemy's "commit" event comes before the COMMIT reaches the server, so it only
    sets the notes aside; they are published once the COMMIT is done: when the connection
    goes back to the pool (the end of `engine.begin()`) or begins its next transaction. A
    COMMIT that fails drops them (the connection is invalidated, or the error is seen).
    """

    def publish(info: dict[str, Any]) -> None:
        done: dict[_Note, set[int]] = info.pop(_COMMITTED, {})
        for (table, action, columns), ids in done.items():
            if ids:
                hub.publish(RowsChanged(table, frozenset(ids), action, columns))

    def begun(connection: Connection) -> None:
        info = _info(connection)
        if info is not None:
            publish(info)  # an earlier transaction on this connection, committed by hand
            info.pop(_KEY, None)  # nothing left over from one that ended unseen

    def committing(connection: Connection) -> None:
        info = _info(connection)
        if info is not None:
            for key, ids in info.pop(_KEY, {}).items():
                info.setdefault(_COMMITTED, {}).setdefault(key, set()).update(ids)

    def rolled_back(connection: Connection) -> None:
        info = _info(connection)
        if info is not None:
            info.pop(_KEY, None)  # rolled back: none of it happened

    def failed(context: ExceptionContext) -> None:
        # No statement: the COMMIT (or ROLLBACK) itself failed; what it carried is unsure.
        if context.statement is None and context.connection is not None:
            info = _info(context.connection)
            if info is not None:
                info.pop(_COMMITTED, None)
                info.pop(_KEY, None)

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            publish(record.info)

    event.listen(engine, "begin", begun)
    event.listen(engine, "commit", committing)
    event.listen(engine, "rollback", rolled_back)
    event.listen(engine, "handle_error", failed)
    event.listen(engine.pool, "checkin", checked_in)


def _info(connection: Connection) -> dict[str, Any] | None:
    """The connection's info, or None when it is broken (the server gone or frozen):
    asking a broken connection for it would try to reconnect in the middle of a failure."""
    if connection.invalidated or connection.closed:
        return None
    try:
        return connection.info
    except SQLAlchemyError:
        return None
