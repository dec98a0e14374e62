"""Feedback: results and errors as toasts that need no click; a busy sign past 300 ms."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop.services.database import open_database
from desktop.ui import notifications
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner


def _window(qtbot, runner: Runner) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(runner)
    qtbot.addWidget(win)
    win.resize(1000, 640)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5_000)
    return win


def test_a_result_is_a_toast_that_goes_away_by_itself(
    qtbot, runner: Runner, seeded_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(notifications, "INFO_MS", 300)
    win = _window(qtbot, runner)
    database = open_database(seeded_url, label="Test", environment="development")
    with qtbot.waitSignal(win.first_pages_loaded, timeout=20_000):
        win.set_database(database)
    # Ctrl+E with no row selected: the edit action explains itself in a toast
    win.tabs.setCurrentWidget(win.audit_view)
    win.tabs.setFocus()
    with qtbot.waitSignal(win.notifications.shown, timeout=5_000) as shown:
        QTest.keyClick(win.tabs, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    kind, text = shown.args
    toast = win.notifications.toasts[-1]
    assert toast.isVisible() and toast.text == text and kind == "info"
    assert QApplication.activeModalWidget() is None  # nothing to click away
    assert win.statusBar().currentMessage() == text
    assert toast.geometry().right() <= win.width() and toast.geometry().bottom() <= win.height()
    folder = os.environ.get("TENANTRY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        error = win.notifications.error("Could not load plugins: server closed the connection")
        win.grab().save(str(Path(folder) / "notifications.png"))
        assert error is not None
        error.dismiss()
    qtbot.waitUntil(lambda: not win.notifications.toasts, timeout=5_000)
    runner.wait()
    database.dispose()


def test_errors_stack_and_repeat_without_piling_up(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot, runner)
    win.show_error("Could not load users: connection refused")
    win.show_error("Could not load users: connection refused")
    win.notifications.notify("Exported 2,000 rows to /tmp/users.csv")
    toasts = win.notifications.toasts
    assert [t.kind for t in toasts] == ["error", "info"]
    assert toasts[0].geometry().bottom() < toasts[1].geometry().top()  # stacked, not overlapping
    for i in range(5):
        win.notifications.notify(f"message {i}")
    assert len(win.notifications.toasts) == notifications.MAX_TOASTS
    oldest = win.notifications.toasts[0]
    oldest.close_button.click()
    assert oldest not in win.notifications.toasts and not oldest.isVisible()


def test_busy_shows_only_past_the_delay(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot, runner)
    busy = win.notifications.busy
    appeared: list[bool] = []
    busy.appeared.connect(lambda: appeared.append(True))
    runner.submit(lambda: time.sleep(0.02))
    qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=5_000)
    qtbot.wait(notifications.BUSY_DELAY_MS + 100)
    assert not appeared and not busy.isVisible()
    with qtbot.waitSignal(busy.appeared, timeout=5_000):
        runner.submit(lambda: time.sleep(1.0))
    assert busy.isVisible() and busy.bar.maximum() == 0  # indeterminate
    qtbot.waitUntil(lambda: not busy.isVisible(), timeout=5_000)
