"""Inline edits waiting to be saved: keyed by (table, row id), so they outlive any reload.

A staged row keeps the values and the row version the user saw when the first cell of the
row was changed (the conflict check compares the version with the database at save time;
the values show what was there), the new values, and
the problems the last check found. Nothing here knows about Qt or the database: the grids
read it, the save service writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: The cells that can be edited in a grid, per browse view. Everything else stays in the
#: forms: ids and timestamps never change by hand, credentials and properties need the
#: JSON editors (and credentials their masking), is_system needs its own confirmation,
#: moving a user or a plugin is a choice of organization (a search, not a text cell), and
#: data_source names the integration the plugin's credentials belong to.
EDITABLE: dict[str, tuple[str, ...]] = {
    "users": ("name", "email", "status"),
    "organizations": ("name",),
    "plugins": ("title",),
}

#: The columns of a grid row that belong to the table itself: if any of them changed in the
#: database since the user saw the row, saving is a conflict (the "original values" check).
SEEN: dict[str, tuple[str, ...]] = {
    "users": (
        "name",
        "email",
        "organization_id",
        "status",
        "is_system",
        "firebase_id",
        "date_joined",
        "last_login",
    ),
    "organizations": ("name",),
    "plugins": ("title", "data_source", "organization_id", "created_at"),
}

ENTITY = {"users": "user", "organizations": "organization", "plugins": "plugin"}


@dataclass
class StagedRow:
    """One row with unsaved changes."""

    view: str
    row_id: int
    seen: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    overwrite: bool = False  # the user chose to overwrite someone else's change knowingly
    #: The row version (xmin) the grid loaded the row with; None for rows built without one.
    version: str | None = None

    @property
    def entity(self) -> str:
        return ENTITY[self.view]

    def label(self) -> str:
        name = self.seen.get("name") or self.seen.get("title") or ""
        return f"{self.entity} #{self.row_id}" + (f" ({name})" if name else "")


Key = tuple[str, int]


class StagedChanges:
    """Every unsaved inline change of one connection; listeners hear about each change."""

    def __init__(self) -> None:
        self._rows: dict[Key, StagedRow] = {}
        self._by_view: dict[str, dict[int, StagedRow]] = {view: {} for view in EDITABLE}
        self._listeners: list[Callable[[], None]] = []

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        """How many cells are changed (what "3 unsaved changes" counts)."""
        return sum(len(row.changes) for row in self._rows.values())

    def __iter__(self) -> Iterator[StagedRow]:
        return iter(list(self._rows.values()))

    def __bool__(self) -> bool:
        return bool(self._rows)

    def view(self, view: str) -> dict[int, StagedRow]:
        """The staged rows of one view by id (the live dict: read it, don't change it)."""
        return self._by_view.setdefault(view, {})

    def get(self, view: str, row_id: int) -> StagedRow | None:
        return self._rows.get((view, row_id))

    def problems(self) -> list[tuple[StagedRow, str, str]]:
        """(row, field, message) of every problem found so far."""
        return [(row, f, m) for row in self._rows.values() for f, m in row.problems.items()]

    @staticmethod
    def editable(view: str, column: str) -> bool:
        return column in EDITABLE.get(view, ())

    # -- changing ---------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def stage(
        self,
        view: str,
        row_id: int,
        seen: dict[str, Any],
        column: str,
        value: Any,
        problem: str | None = None,
    ) -> None:
        """Stage `column = value`; setting a cell back to what was seen unstages it."""
        if not self.editable(view, column):
            raise ValueError(f"{view}.{column} cannot be edited inline")
        row = self._rows.get((view, row_id))
        if row is None:
            row = StagedRow(
                view, row_id, {k: seen.get(k) for k in SEEN[view]}, version=seen.get("version")
            )
        row.problems.pop(column, None)
        if value == row.seen.get(column):
            row.changes.pop(column, None)
        else:
            row.changes[column] = value
            if problem:
                row.problems[column] = problem
        if row.changes:
            self._rows[(view, row_id)] = row
            self.view(view)[row_id] = row
        else:
            self._drop(view, row_id)
        self._changed()

    def discard(self, view: str | None = None, row_id: int | None = None) -> None:
        """Forget staged changes: all of them, one view's, or one row's."""
        for key in [k for k in self._rows if view in (None, k[0]) and row_id in (None, k[1])]:
            self._drop(*key)
        self._changed()

    def discard_cell(self, view: str, row_id: int, column: str) -> None:
        row = self._rows.get((view, row_id))
        if row is None:
            return
        row.changes.pop(column, None)
        row.problems.pop(column, None)
        if not row.changes:
            self._drop(view, row_id)
        self._changed()

    def set_problems(self, found: dict[Key, dict[str, str]]) -> None:
        """Replace every row's problems by what the last save attempt found."""
        for key, row in self._rows.items():
            row.problems = dict(found.get(key, {}))
        self._changed()

    def mark_overwrite(self, view: str, row_id: int) -> None:
        """The user saw the other version and chose to overwrite it knowingly."""
        row = self._rows.get((view, row_id))
        if row is None:
            return
        row.overwrite = True
        row.problems.clear()
        self._changed()

    def _drop(self, view: str, row_id: int) -> None:
        self._rows.pop((view, row_id), None)
        self.view(view).pop(row_id, None)
