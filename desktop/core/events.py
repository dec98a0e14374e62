"""The event hub: what happened to the data, told to whoever listens (no Qt, no database).

Today it carries one kind of event, `RowsChanged`, published by the session's one write
path when a transaction commits (`services/changes.py`); the window subscribes through a
small Qt bridge (`desktop/ui/hub_bridge.py`) that carries each event to the GUI thread.
Events are plain frozen data. Publishing may happen on any thread: listeners are called
on the publishing thread, one after another, and a listener's failure is logged, never
passed to the publisher (a committed write stays committed whatever a view makes of it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)

#: What a change did to its rows.
INSERT, UPDATE, DELETE = "insert", "update", "delete"


@dataclass(frozen=True)
class RowsChanged:
    """Rows of one table that a committed transaction inserted, updated or deleted.

    `columns` names the columns an update changed (None: unknown, treat as any); it lets a
    view tell a change that keeps its rows in place (refresh those rows) from one that may
    move them or take them out of its filter (reload).
    """

    table: str  # "user" | "organization" | "plugin"
    ids: frozenset[int]
    action: str  # INSERT | UPDATE | DELETE
    columns: frozenset[str] | None = None

    def describe(self) -> str:
        count = len(self.ids)
        noun = self.table if count == 1 else f"{self.table}s"
        verb = {INSERT: "added", UPDATE: "changed", DELETE: "deleted"}[self.action]
        return f"{count:,} {noun} {verb}"


E = TypeVar("E")


class Hub:
    """Subscribe to one kind of event; publish any event to its kind's listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[type, list[Callable[[Any], None]]] = {}

    def subscribe(self, kind: type[E], listener: Callable[[E], None]) -> Callable[[], None]:
        """Call `listener` with every `kind` event from now on; returns the unsubscribe."""
        with self._lock:
            self._listeners.setdefault(kind, []).append(listener)

        def unsubscribe() -> None:
            with self._lock:
                listeners = self._listeners.get(kind, [])
                if listener in listeners:
                    listeners.remove(listener)

        return unsubscribe

    def publish(self, event: object) -> None:
        with self._lock:
            listeners = list(self._listeners.get(type(event), ()))
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not undo what was published
                log.exception("event listener failed on %r", event)
