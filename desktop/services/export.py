"""Export a view (its search, filters and sort) to CSV or JSON, streamed from the server.

The rows come through `COPY (SELECT ...) TO STDOUT`, so neither the server nor this process
holds the whole result. The file is written under a temporary name and renamed only when
complete: a cancelled or failed export leaves nothing that looks finished. Plugin
credentials are exported as their key names, never their values.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from desktop.core import cancel
from desktop.core.errors import Cancelled, KnownError
from desktop.db import cancel as db_cancel
from desktop.db import queries
from desktop.db.view_state import ViewState
from desktop.services.browse import cancellable

FORMATS = ("csv", "json")
PROGRESS_EVERY = 5_000

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


def partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


class _Sink:
    """The file object COPY writes into, one call per row: counts rows, reports progress
    every `PROGRESS_EVERY` rows and stops there when the export was cancelled. Kept lean:
    it runs a million times for a million rows."""

    def __init__(self, out: BinaryIO, json_rows: bool, progress: Progress | None) -> None:
        self._out = out.write
        self.rows = 0
        self._next = PROGRESS_EVERY
        self._progress = progress
        self._token = cancel.current()
        if json_rows:
            self.write = self._write_json  # type: ignore[method-assign]

    def write(self, data: bytes) -> int:
        self.rows += 1
        if self.rows == self._next:
            self._tick()
        return self._out(data)

    def _write_json(self, data: bytes) -> int:
        # COPY's text format doubles every backslash; the JSON itself has no raw newlines
        # or tabs (row_to_json escapes them), so undoing that is exact.
        chunk = (b",\n" if self.rows else b"\n") + bytes(data).rstrip(b"\n").replace(b"\\\\", b"\\")
        self.rows += 1
        if self.rows == self._next:
            self._tick()
        return self._out(chunk)

    def _tick(self) -> None:
        self._next += PROGRESS_EVERY
        if self._token is not None:
            self._token.raise_if_cancelled()
        if self._progress is not None:
            self._progress(self.rows)


def copy_sql(engine: Engine, state: ViewState, fmt: str) -> str:
    """The COPY statement for the view, with its parameters bound by psycopg2."""
    statement = queries.export(state)
    compiled = statement.compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.cursor()
        select_sql = cursor.mogrify(str(compiled), compiled.params).decode()
    finally:
        raw.close()
    if fmt == "json":
        return f"COPY (SELECT row_to_json(r) FROM ({select_sql}) AS r) TO STDOUT"
    return f"COPY ({select_sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"


def export_view(
    engine: Engine, state: ViewState, path: Path, fmt: str, progress: Progress | None = None
) -> ExportResult:
    """Write the view's rows to `path` as CSV or JSON; returns the number of rows."""
    if fmt not in FORMATS:
        raise KnownError(f"Unknown export format {fmt!r}; choose CSV or JSON.")
    path = Path(path)
    temp = partial_path(path)
    sql = copy_sql(engine, state, fmt)
    engine = cancellable(engine)
    try:
        with open(temp, "wb") as out, engine.connect() as connection:
            sink = _Sink(out, fmt == "json", progress)
            if fmt == "json":
                out.write(b"[")
            dbapi: Any = connection.connection.dbapi_connection
            token = cancel.current()
            cursor = dbapi.cursor()
            if token is not None:
                token.attach(db_cancel.server_cancel(dbapi))
            try:
                cursor.execute("SET TIME ZONE 'UTC'")
                cursor.copy_expert(sql, sink, size=1 << 16)
            finally:
                if token is not None:
                    token.detach()
            if fmt == "json":
                out.write(b"\n]\n")
            connection.rollback()
            if token is not None:
                token.raise_if_cancelled()  # cancelled at the last moment: still no file
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        token = cancel.current()
        if token is not None and token.cancelled:
            raise Cancelled("export cancelled") from exc
        if isinstance(exc, OSError):
            raise KnownError(f"Could not write {path}: {exc.strerror or exc}") from exc
        if isinstance(exc, DBAPIError | _psycopg_error()):
            raise KnownError(f"The export failed in the database: {exc}") from exc
        raise
    os.replace(temp, path)
    rows = sink.rows - 1 if fmt == "csv" and sink.rows else sink.rows  # the header line
    if progress is not None:
        progress(rows)
    return ExportResult(path, rows)


def _psycopg_error() -> type[Exception]:
    import psycopg2

    return psycopg2.Error  # type: ignore[no-any-return]
