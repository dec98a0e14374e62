"""Ctrl+K on a real database: an organization, a user by partial email, a plugin; Enter goes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from conftest import GuiThreadGuard
from desktop.services.database import Database
from desktop.ui.main_window import MainWindow
from desktop.ui.quick_switcher import QuickSwitcher
from desktop.ui.runner import Runner


def row(database: Database, guard: GuiThreadGuard, sql: str) -> Any:
    with guard.allow(), database.engine.connect() as c:
        return c.execute(text(sql)).one()


def open_switcher(qtbot: Any, window: MainWindow) -> QuickSwitcher:
    window.tabs.currentWidget().setFocus()
    QTest.keyClick(window.tabs, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    switcher = window.shortcuts.switcher
    assert isinstance(switcher, QuickSwitcher) and switcher.isVisible()
    qtbot.waitUntil(lambda: switcher.input.hasFocus(), timeout=5_000)
    return switcher


def search(qtbot: Any, switcher: QuickSwitcher, typed: str) -> None:
    switcher.input.clear()
    with qtbot.waitSignal(switcher.results_shown, timeout=10_000):
        QTest.keyClicks(switcher.input, typed)


def arrow_to(switcher: QuickSwitcher, kind: str, record_id: int) -> None:
    """Walk down the list with the arrow key (the cursor stays in the text box)."""
    for _ in range(len(switcher.hits) + 1):
        hit = switcher.current_hit()
        if hit is not None and hit.kind == kind and hit.id == record_id:
            return
        QTest.keyClick(switcher.input, Qt.Key.Key_Down)
    raise AssertionError(f"{kind} {record_id} not reachable in {switcher.hits}")


def test_an_organization_by_name_then_enter(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    org = row(database, gui_guard, "SELECT id, name FROM organization ORDER BY id DESC LIMIT 1")
    switcher = open_switcher(qtbot, window)
    search(qtbot, switcher, org.name.split()[0][:-1].lower())
    screenshot(switcher, "quick-switcher")
    search(qtbot, switcher, org.name)
    assert any(h.kind == "organization" and h.id == org.id for h in switcher.hits)
    arrow_to(switcher, "organization", org.id)
    with qtbot.waitSignal(window.tenants.organization_loaded, timeout=10_000):
        QTest.keyClick(switcher.input, Qt.Key.Key_Return)
    assert not switcher.isVisible()
    assert window.tabs.currentWidget() is window.tenants and window.tenants.current == org.id


def test_a_user_by_partial_email_then_enter_selects_it(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    user = row(database, gui_guard, 'SELECT id, email FROM "user" ORDER BY id DESC LIMIT 1')
    part = user.email.split("@")[0][1:]
    switcher = open_switcher(qtbot, window)
    search(qtbot, switcher, part)
    assert any(h.kind == "user" and h.id == user.id for h in switcher.hits)
    arrow_to(switcher, "user", user.id)
    QTest.keyClick(switcher.input, Qt.Key.Key_Return)
    users = window.browse_tabs["users"]
    assert window.tabs.currentWidget() is users

    def selected() -> bool:
        rows = users.selected_rows()
        record = users.model.record(rows[0]) if rows else None
        return record is not None and record["id"] == user.id

    qtbot.waitUntil(selected, timeout=10_000)
    qtbot.waitUntil(users.view.hasFocus, timeout=5_000)
    assert users.filters.search.text() == user.email


def test_a_plugin_by_title_and_by_id(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    plugin = row(database, gui_guard, "SELECT id, title FROM plugin ORDER BY id DESC LIMIT 1")
    switcher = open_switcher(qtbot, window)
    search(qtbot, switcher, plugin.title[:6])
    assert any(h.kind == "plugin" for h in switcher.hits)
    search(qtbot, switcher, str(plugin.id))
    arrow_to(switcher, "plugin", plugin.id)
    QTest.keyClick(switcher.input, Qt.Key.Key_Enter)
    plugins = window.browse_tabs["plugins"]

    def selected() -> bool:
        rows = plugins.selected_rows()
        record = plugins.model.record(rows[0]) if rows else None
        return record is not None and record["id"] == plugin.id

    qtbot.waitUntil(selected, timeout=10_000)


def test_typing_fast_keeps_only_the_latest_answer_and_esc_closes(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    switcher = open_switcher(qtbot, window)
    switcher.input.clear()
    shown: list[int] = []
    switcher.results_shown.connect(shown.append)
    for typed in ("a", "an", "and", "ann"):
        switcher.input.setText(typed)
        switcher.search_now()  # no debounce: every keystroke a query
    qtbot.waitUntil(lambda: window.runner.in_flight() == 0, timeout=10_000)
    assert len(shown) == 1  # only "ann"'s answer arrived; the others were superseded
    assert all("ann" in (h.title + h.detail).lower() or h.kind != "user" for h in switcher.hits)
    assert "Nothing matches" in switcher.state.text() or switcher.hits
    QTest.keyClick(switcher.input, Qt.Key.Key_Escape)
    assert not switcher.isVisible()


def test_window_keys_win_over_a_text_fields_own_binding(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """GNOME binds Ctrl+K to "delete to end of line" in text fields, which would swallow
    the switcher's key there. The mechanism, shown with Ctrl+A (which every text field
    claims for Select all): with the filter, the window's action runs instead."""
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QLineEdit

    from desktop.ui.shortcuts import WindowKeysFirst

    field = QLineEdit(window.tabs.currentWidget())
    field.setText("some text")
    field.show()
    action = QAction("Select everything in the window", window)
    action.setShortcut(QKeySequence("Ctrl+A"))
    window.addAction(action)
    fired: list[bool] = []
    action.triggered.connect(lambda: fired.append(True))
    field.setFocus()
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert not fired and field.selectedText() == "some text"  # the field claimed it
    field.deselect()
    WindowKeysFirst([QKeySequence("Ctrl+A")], window).watch(field.parentWidget())
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert fired == [True] and field.selectedText() == ""
    # and in the real window, Ctrl+K from a search box opens the switcher
    search = window.browse_tabs["users"].filters.search
    window.tabs.setCurrentWidget(window.browse_tabs["users"])
    search.setFocus()
    QTest.keyClick(search, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.shortcuts.switcher is not None and window.shortcuts.switcher.isVisible()
    assert window.shortcuts.keys_first.keys == window.shortcuts.switcher_action.shortcuts()


def test_not_connected_says_so(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(runner)
    qtbot.addWidget(win)
    switcher = win.shortcuts.open_switcher()
    assert "Connect" in switcher.state.text()
    QTest.keyClicks(switcher.input, "acme")
    switcher.search_now()
    assert switcher.hits == [] and runner.in_flight() == 0


def screenshot(widget: Any, name: str) -> None:
    folder = os.environ.get("TENANTRY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))
