"""Qt fixtures: a background runner per test (checked idle afterwards), a GUI-thread SQL guard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gui_thread_guard import GuiThreadGuard, guarding
from PySide6.QtWidgets import QApplication

from desktop.services.database import Database, open_database
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner


@pytest.fixture
def gui_guard() -> Iterator[GuiThreadGuard]:
    with guarding() as guard:
        yield guard


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
