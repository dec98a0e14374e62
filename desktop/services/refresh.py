"""After a committed write: which rows of a view to refresh, and reading just those rows.

A write reports the rows it changed (`RowsChanged`, from `services/changes.py`). For each
browse view, `plan` decides from the view's state alone (no database):

- NOTHING: the change cannot touch what the view shows;
- ROWS: the change keeps the view's rows where they are (no column the view filters,
  searches or sorts by changed), so only the loaded rows it touched are read again, by id
  (`rows`), and replaced in place: the scroll position, selection and every other block
  stay;
- RELOAD: rows may have entered, left or moved (an insert, a delete, a changed sort or
  filter column, a count the view shows): the view reloads as after a new search.

A refreshed row that is no longer in the view, or whose sort key moved, makes the caller
reload after all (`Refreshed.moved`), so the rule never shows a row out of place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from desktop.core.events import UPDATE, RowsChanged
from desktop.core.view_state import ViewState
from desktop.db import queries
from desktop.services.columns import TABLES
from desktop.services.display import row_texts

NOTHING, ROWS, RELOAD = "nothing", "rows", "reload"

#: The table each browse view lists.
TABLE_OF = {"users": "user", "plugins": "plugin", "organizations": "organization"}

#: Sort keys of a view that are not a column of its own table, by the table they come from.
_FOREIGN_SORTS = {
    ("users", "organization"): ("organization", "name"),
    ("plugins", "organization"): ("organization", "name"),
    ("organizations", "users"): ("user", None),  # a count: changes with inserts and moves
}


@dataclass(frozen=True)
class Plan:
    action: str  # NOTHING | ROWS | RELOAD
    #: With ROWS: the row key whose value is among the event's ids ("id" for the view's own
    #: table, "organization_id" for the organization a user or plugin row names).
    match: str = "id"


def _own_columns(state: ViewState) -> set[str]:
    """The columns of the view's table that decide which rows it shows and in what order."""
    columns: set[str] = set()
    if state.view == "users":
        if state.search.strip():
            columns |= {"name", "email", "firebase_id"}
        if state.statuses:
            columns.add("status")
        if state.is_system is not None:
            columns.add("is_system")
        if state.organization_id is not None:
            columns.add("organization_id")
        if state.joined_from is not None or state.joined_to is not None:
            columns.add("date_joined")
        if state.login_from is not None or state.login_to is not None:
            columns.add("last_login")
    elif state.view == "plugins":
        if state.search.strip():
            columns.add("title")
        if state.data_source:
            columns.add("data_source")
        if state.organization_id is not None:
            columns.add("organization_id")
    elif state.search.strip():
        columns.add("name")
    if (state.view, state.sort) in _FOREIGN_SORTS:
        if state.view != "organizations":
            columns.add("organization_id")  # the row's organization decides its place
    else:
        columns.add(state.sort)
    return columns


def plan(state: ViewState, change: RowsChanged) -> Plan:
    """What a view showing `state` must do about `change`."""
    own = TABLE_OF[state.view]
    if change.table == own:
        if change.action != UPDATE or change.columns is None:
            return Plan(RELOAD)
        if change.columns & _own_columns(state):
            return Plan(RELOAD)
        if own == "organization" and change.columns - {"name"}:
            return Plan(RELOAD)
        return Plan(ROWS)
    if own == "organization":
        # The user and plugin counts: they change when a row is added, deleted or moved.
        if change.table in ("user", "plugin") and (
            change.action != UPDATE or change.columns is None or "organization_id" in change.columns
        ):
            return Plan(RELOAD)
        return Plan(NOTHING)
    if change.table == "organization":
        # Users and plugins show their organization's name, and go with it when it goes.
        if change.action != UPDATE or change.columns is None:
            return Plan(RELOAD if change.action != "insert" else NOTHING)
        if "name" not in change.columns:
            return Plan(NOTHING)
        if _FOREIGN_SORTS.get((state.view, state.sort), ("", ""))[0] == "organization":
            return Plan(RELOAD)
        return Plan(ROWS, match="organization_id")
    return Plan(NOTHING)  # users and plugins do not show each other


@dataclass(frozen=True)
class Refreshed:
    """The rows read again, by id: each with its display texts and sort key."""

    rows: dict[int, tuple[Any, ...]]
    texts: dict[int, tuple[str, ...]]
    keys: dict[int, Any]


def rows(engine: Engine, state: ViewState, ids: Iterable[int]) -> Refreshed:
    """The view's rows with these ids (its columns, as the grid loads them), with the
    view's filters applied: an id missing from the answer has left the view."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return Refreshed({}, {}, {})
    sort = queries.sort_of(state)
    statement = (
        queries.filtered(state)
        .add_columns(sort.expr.label("_sort_key"))
        .where(queries.ID_COLUMNS[state.view].in_(wanted))
    )
    with engine.connect() as connection:
        raw = [tuple(row) for row in connection.execute(statement)]
    found = [row[:-1] for row in raw]
    texts = row_texts(TABLES[state.view], found)
    return Refreshed(
        {int(row[0]): row for row in found},
        {int(row[0]): t for row, t in zip(found, texts, strict=True) if t is not None},
        {int(row[0]): row[-1] for row in raw},
    )
