"""Qt fixtures: a background runner per test (checked idle afterwards), a GUI-thread SQL guard."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import event
from sqlalchemy.engine import Engine

from desktop.services.database import Database, open_database
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner


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


@pytest.fixture
def gui_guard() -> Iterator[GuiThreadGuard]:
    guard = GuiThreadGuard()
    guard.install()
    try:
        yield guard
    finally:
        guard.remove()
    assert not guard.violations, f"database calls on the GUI thread: {guard.violations}"


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    """The seeded test database, opened as the app opens one (modules may define their own)."""
    db = open_database(seeded_url, label="Test database", environment="development")
    yield db
    db.dispose()


@pytest.fixture
def window(qtbot, runner: Runner, database: Database, gui_guard: GuiThreadGuard) -> MainWindow:  # type: ignore[no-untyped-def]
    """The main window, shown, active and connected, its first pages loaded."""
    win = MainWindow(runner)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5_000)
    with qtbot.waitSignal(win.first_pages_loaded, timeout=20_000):
        win.set_database(database)
    return win
