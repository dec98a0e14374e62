"""A guard that fails any SQL statement run on the GUI (main) thread while installed.

Shared by the UI tests (`gui_guard`) and the fault suite (`sql_guard`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


class GuiThreadGuard:
    """Fails any SQL statement run on the GUI (main) thread while installed."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._allowed = 0

    def _check(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        if self._allowed or threading.current_thread() is not threading.main_thread():
            return
        self.violations.append(statement)
        raise AssertionError(f"database call on the GUI thread: {statement[:200]}")

    def install(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._check)

    def remove(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._check)

    @contextmanager
    def allow(self) -> Iterator[None]:
        """For the test's own checks against the database (never the app's code)."""
        self._allowed += 1
        try:
            yield
        finally:
            self._allowed -= 1


@contextmanager
def guarding() -> Iterator[GuiThreadGuard]:
    """A guard installed for the block; afterwards, no statement may have run on the GUI
    thread."""
    guard = GuiThreadGuard()
    guard.install()
    try:
        yield guard
    finally:
        guard.remove()
    assert not guard.violations, f"database calls on the GUI thread: {guard.violations}"
