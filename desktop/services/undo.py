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
    step: UndoStep


@dataclass
class UndoStack:
    limit: int = 50
    _entries: list[UndoEntry] = field(default_factory=list)

    def push(self, description: str, step: UndoStep) -> None:
        self._entries.append(UndoEntry(description, step))
        del self._entries[: -self.limit]

    @property
    def next_description(self) -> str | None:
        return self._entries[-1].description if self._entries else None

    def undo(self, db: Database, actor: Actor) -> str:
        if not self._entries:
            raise KnownError("There is nothing to undo.")
        entry = self._entries[-1]
        entry.step(db, actor)  # a conflict leaves the entry in place to retry or discard
        self._entries.pop()
        return entry.description

    def discard_last(self) -> None:
        if self._entries:
            self._entries.pop()
