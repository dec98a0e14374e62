"""Export a view (its search, filters and sort) to CSV or JSON, streamed from the server.

The rows come through `COPY (SELECT ...) TO STDOUT`, so neither the server nor this process
holds the whole result. The file is written under a temporary name and renamed only when
complete: a cancelled or failed export leaves nothing that looks finished (the partial
file is mode 0600 from the start, like the finished one). Plugin credentials are exported
as their key names, never their values.

CSV cells are made safe for spreadsheets by default (OWASP, "CSV Injection"): a text cell
that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so
Excel, LibreOffice and Google Sheets show it as text instead of running it as a formula.
Numbers, dates and booleans are data and never changed (they come from numeric, timestamp
and boolean columns, and cannot start a formula; booleans are written `true` / `false`,
not COPY's `t` / `f`), and neither is a text cell that is a
plain number such as `-5` or `+3.5` (a spreadsheet reads it as that number: nothing runs).
This happens in the server's SELECT, so the rows still stream through COPY untouched by
Python. `formulas="keep"` writes every cell exactly as stored (for a program that reads
the file, not a person's spreadsheet). JSON is never changed: no spreadsheet evaluates it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Boolean, String, and_, case, func, literal
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ColumnElement, Select

from desktop.core import cancel
from desktop.core.errors import Cancelled, KnownError
from desktop.core.view_state import ViewState
from desktop.db import cancel as db_cancel
from desktop.db import queries
from desktop.db.models import UserStatus
from desktop.services.browse import cancellable

FORMATS = ("csv", "json")
PROGRESS_EVERY = 5_000
#: What to do with CSV text cells a spreadsheet would run as a formula.
FORMULA_MODES = ("neutralise", "keep")
#: OWASP's list: the first characters that make a spreadsheet cell a formula (or DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A text cell that is just a number (-5, +3.5): data, read as a number, left as it is.
PLAIN_NUMBER = r"^[+-]?[0-9]+([.][0-9]+)?$"

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


def neutralised(statement: Select[Any]) -> Select[Any]:
    """`statement` with each text column's formula-like values prefixed by `'` (see above)."""
    columns = [
        _neutral(column) if _is_text(column) else column for column in statement.selected_columns
    ]
    return statement.with_only_columns(*columns, maintain_column_froms=True)


def _is_text(column: Any) -> bool:
    return isinstance(column.type, String)


_FORMULA_CODES = tuple(sorted(ord(c) for c in FORMULA_STARTS))


def _neutral(column: Any) -> ColumnElement[Any]:
    # ascii() is the first character's code, no string made; most cells start with a letter
    # or digit (code > 64: one comparison), so the list and the pattern rarely run. Measured
    # on 200,000 users: about 10 % on the server's COPY, where left(v, 1) IN (...) cost 50 %.
    value = column.element if hasattr(column, "element") else column
    first = func.ascii(value)
    risky = and_(
        first <= _FORMULA_CODES[-1],
        first.in_(_FORMULA_CODES),
        value.op("!~")(PLAIN_NUMBER),
    )
    return case((risky, literal("'", String) + value), else_=value).label(column.name)


def readable_booleans(statement: Select[Any]) -> Select[Any]:
    """`statement` with each boolean column written `true` / `false` (COPY's CSV says
    `t` / `f`, which people and spreadsheets misread); NULL stays empty."""
    columns = [
        case((column.element, "true"), (~column.element, "false")).label(column.name)
        if isinstance(column.type, Boolean) and hasattr(column, "element")
        else column
        for column in statement.selected_columns
    ]
    return statement.with_only_columns(*columns, maintain_column_froms=True)


def suggested_name(state: ViewState, subject: str, day: date, fmt: str = "csv") -> str:
    """A file name that says what the export holds: the view, the organization (`subject`,
    or its id), the statuses and search shown, and the day, e.g.
    `users-northwind-analytics-inactive-2026-12-04.csv`."""
    parts = [state.view]
    if subject:
        parts.append(subject)
    elif state.organization_id is not None:
        parts.append(f"organization {state.organization_id}")
    if state.view == "users" and state.statuses:
        parts += [UserStatus(s).label for s in sorted(state.statuses) if s in _STATUSES]
    if state.search.strip():
        parts.append(state.search.strip())
    parts.append(day.isoformat())
    slugs = [slug for slug in (_slug(part) for part in parts) if slug]
    return "-".join(slugs) + f".{fmt}"


_STATUSES = {int(s) for s in UserStatus}


def _slug(text: str) -> str:
    """Lower case letters, digits, `.` and `@` kept (a name, an email), the rest a `-`."""
    return re.sub(r"[^\w.@]+", "-", text.lower(), flags=re.UNICODE).strip("-.")[:40].strip("-.")


def copy_sql(engine: Engine, state: ViewState, fmt: str, formulas: str = "neutralise") -> str:
    """The COPY statement for the view, with its parameters bound by psycopg2."""
    if formulas not in FORMULA_MODES:
        raise KnownError(f"Unknown formula handling {formulas!r}.")
    statement = queries.export(state)
    if fmt == "csv" and formulas == "neutralise":
        statement = neutralised(statement)
    if fmt == "csv":
        statement = readable_booleans(statement)
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
    engine: Engine,
    state: ViewState,
    path: Path,
    fmt: str,
    progress: Progress | None = None,
    *,
    formulas: str = "neutralise",
) -> ExportResult:
    """Write the view's rows to `path` as CSV or JSON; returns the number of rows.

    `formulas="neutralise"` (the default) makes CSV text cells safe for spreadsheets;
    `"keep"` writes them as stored."""
    if fmt not in FORMATS:
        raise KnownError(f"Unknown export format {fmt!r}; choose CSV or JSON.")
    path = Path(path)
    temp = partial_path(path)
    sql = copy_sql(engine, state, fmt, formulas)
    engine = cancellable(engine)
    try:
        with _private(temp) as out, engine.connect() as connection:
            sink = _Sink(out, fmt == "json", progress)
            if fmt == "json":
                out.write(b"[")
            dbapi: Any = connection.connection.dbapi_connection
            token = cancel.current()
            cursor = dbapi.cursor()
            if token is not None:
                token.attach(db_cancel.server_cancel(dbapi, connection.info))
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


def _private(path: Path) -> BinaryIO:
    """`path` opened for writing, mode 0600 from its creation (a reader can never catch it
    readable by others); an old partial file is replaced."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb")


def _psycopg_error() -> type[Exception]:
    import psycopg2

    return psycopg2.Error  # type: ignore[no-any-return]
