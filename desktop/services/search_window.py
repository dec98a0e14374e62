"""A searched view's window by the plan that suits the term, whatever the planner estimates.

A substring search (`ILIKE '%term%'`) has two good plans and the planner often picks the
wrong one: its estimate for a pattern is a guess, off by orders of magnitude either way.

- Walking the sort index and filtering each row finds a frequent term's first rows at
  once, but reads the whole table for a rare one (seconds at ten million users).
- The trigram indexes find a rare term's few rows in milliseconds, but for a frequent
  term they return most of the table, to be fetched and sorted before the first row.

So the window is read in steps that decide from the rows themselves. First the sort index
is walked for `FIRST_WALK` rows (the bound found by an index-only probe), the search
filtering them. What that walk found measures the term's density: the rest of the window
then comes from whichever plan that density makes cheaper, held to it for its one
statement: more of the walk (index scans only), or the trigram indexes (bitmap scans
only: driven by the term's rarest pieces, services/trigram_drive.py) and the rows by
primary key. A term with no trigram (no three letters or digits in
a row) is always walked: the trigram indexes cannot narrow it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.engine import Connection

from desktop.core.view_state import ViewState
from desktop.db import queries
from desktop.db.queries import SortKey
from desktop.services import trigram_drive
from desktop.services.table_size import table_estimate

#: Rows of the sort index walked first: a term matching one row in twenty fills a window
#: of 101 rows there, and walking them costs a millisecond or two.
FIRST_WALK = 2_000
#: What one row costs, walked (read and filtered in index order) and found by the trigram
#: indexes (a bitmap, the heap page, a recheck, the sort): measured here at 0.6 and 1.9 us.
WALK_COST = 1.0
TRIGRAM_COST = 3.0

#: The planner held to one plan for one statement (SET LOCAL, undone by RESET; a failure
#: ends the transaction and the setting with it).
_TRIGRAM_ONLY = ("enable_seqscan", "enable_indexscan")  # bitmap scans: the trigram indexes
_WALK_ONLY = ("enable_seqscan", "enable_bitmapscan")  # index scans: the sort index in order


def applies(state: ViewState) -> bool:
    """Whether `state` is a search these steps serve: a term, and a sort on a column of the
    view's own table (an index walks it; other orders sort every match anyway)."""
    return bool(queries.searched_term(state)) and queries.sorts_on_own_column(state)


def by_trigrams(term: str, found: int, walked: int, wanted: int, table_rows: int) -> bool:
    """After a walk of `walked` rows found `found` matches, whether the trigram indexes
    find the `wanted` more rows cheaper than walking on (their cost grows with every match
    in the table, the walk's with the rows between two matches)."""
    if not queries.has_trigram(term):
        return False
    if found == 0:  # rarer than 1 in `walked`: at most table_rows / walked matches
        return True
    density = found / walked
    return TRIGRAM_COST * density * table_rows < WALK_COST * wanted / density


def fetch(
    connection: Connection,
    state: ViewState,
    *,
    key: SortKey | None,
    backwards: bool,
    inclusive: bool,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Up to `limit` rows of `queries.window` (same order, same columns), in these steps."""
    bound = connection.execute(
        queries.scan_bound(
            state, key=key, backwards=backwards, inclusive=inclusive, rows=FIRST_WALK
        )
    ).first()
    until: SortKey | None = None if bound is None else (bound[0], int(bound[1]))
    head = queries.window(
        state, key=key, backwards=backwards, inclusive=inclusive, limit=limit, until=until
    )
    rows = [tuple(r) for r in connection.execute(head)]
    if len(rows) >= limit or until is None:  # filled, or the walk reached the view's end
        return rows
    rest = limit - len(rows)
    term = queries.searched_term(state)
    total = max(table_estimate(connection, state.view), 1)
    if not by_trigrams(term, len(rows), FIRST_WALK, rest, total):
        tail = queries.window(state, key=until, backwards=backwards, limit=rest)
        found = _held(connection, _WALK_ONLY, lambda: connection.execute(tail).all())
        return rows + [tuple(r) for r in found]
    candidates = queries.window_ids(state, key=until, backwards=backwards, limit=rest)
    candidates = _driven(connection, candidates, state.view, term, total)
    ids = _held(connection, _TRIGRAM_ONLY, lambda: connection.execute(candidates).all())
    if not ids:
        return rows
    by_id = queries.window_of(state, [int(i) for (i,) in ids], backwards=backwards)
    return rows + [tuple(r) for r in connection.execute(by_id)]


def first_by_id(
    connection: Connection,
    query: Select[Any],
    view: str,
    match: ColumnElement[bool],
    term: str,
    limit: int,
) -> list[Row[Any]]:
    """The first `limit` rows of `query` matching `match` (a substring search for `term`
    in some of the view's searched columns) in id order, in the same steps (the quick
    switcher's search)."""
    id_column = queries.ID_COLUMNS[view]
    bound = connection.execute(
        select(id_column).order_by(id_column).offset(FIRST_WALK - 1).limit(1)
    ).scalar()
    head = query.where(match) if bound is None else query.where(match, id_column <= bound)
    rows = list(connection.execute(head.order_by(id_column).limit(limit)))
    if len(rows) >= limit or bound is None:
        return rows
    rest = limit - len(rows)
    total = max(table_estimate(connection, view), 1)
    if not by_trigrams(term, len(rows), FIRST_WALK, rest, total):
        tail = query.where(match, id_column > bound).order_by(id_column).limit(rest)
        return rows + _held(connection, _WALK_ONLY, lambda: list(connection.execute(tail)))
    candidates = select(id_column).where(match, id_column > bound).order_by(id_column)
    candidates = _driven(connection, candidates.limit(rest), view, term, total)
    found = _held(connection, _TRIGRAM_ONLY, lambda: connection.execute(candidates).all())
    ids = [int(i) for (i,) in found]
    if not ids:
        return rows
    return rows + list(connection.execute(query.where(id_column.in_(ids)).order_by(id_column)))


T = TypeVar("T")


def _held(connection: Connection, disabled: tuple[str, ...], run: Callable[[], T]) -> T:
    """`run()` with the planner's `disabled` methods off for it."""
    for setting in disabled:
        connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    result = run()
    for setting in disabled:
        connection.exec_driver_sql(f"RESET {setting}")
    return result


def _driven(
    connection: Connection, statement: Select[Any], view: str, term: str, total: int
) -> Select[Any]:
    """`statement` with its trigram scan driven by the term's rarest pieces (see
    services/trigram_drive.py), or as it is when the whole term is as good."""
    drive = trigram_drive.drive(term, trigram_drive.sample(connection, view, total), total)
    return statement if drive is None else queries.narrowed(statement, view, drive)
