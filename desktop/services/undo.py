"""Undo of the user's last change: re-applies the before values, with the same conflict check.

The stack lives in memory only (it may hold real plugin credentials, which never go to disk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.core.errors import KnownError
from desktop.services.database import Database
from desktop.services.writes import Actor

UndoStep = Callable[[Database, Actor], object]


@dataclass(frozen=True)
class UndoEntry:
    description: str
    #: None for a change that cannot be undone (a permanent delete): it hides older entries.
    step: UndoStep | None


@dataclass
class UndoStack:
    limit: int = 50
    _entries: list[UndoEntry] = field(default_factory=list)

    def push(self, description: str, step: UndoStep) -> None:
        self._entries.append(UndoEntry(description, step))
        del self._entries[: -self.limit]

    def mark_irreversible(self, description: str) -> None:
        """A change that cannot be undone: Undo says so, and never reaches past it to an
        older change (which would revert something the user did not mean)."""
        self._entries = [UndoEntry(description, None)]

    @property
    def next_description(self) -> str | None:
        """What Undo would undo, or None (nothing, or the last change cannot be undone)."""
        if not self._entries or self._entries[-1].step is None:
            return None
        return self._entries[-1].description

    @property
    def last_irreversible(self) -> str | None:
        """The last change, when it cannot be undone."""
        if self._entries and self._entries[-1].step is None:
            return self._entries[-1].description
        return None

    def undo(self, db: Database, actor: Actor) -> str:
        if not self._entries:
            raise KnownError("There is nothing to undo.")
        entry = self._entries[-1]
        if entry.step is None:
            raise KnownError(f"The last change ({entry.description}) cannot be undone.")
        entry.step(db, actor)  # a conflict leaves the entry in place to retry or discard
        self._entries.pop()
        return entry.description

    def discard_last(self) -> None:
        if self._entries:
            self._entries.pop()
