"""The keyboard on a real database: every menu action has keys that trigger it, and does its job."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop.ui.main_window import MainWindow
from desktop.ui.shortcuts_dialog import ShortcutsDialog, window_entries


def press(widget: QWidget, sequence: QKeySequence) -> None:
    """Type `sequence` (one chord) into `widget`, as a person would."""
    combination = sequence[0]
    QTest.keyClick(widget, combination.key(), combination.keyboardModifiers())


def typeable(sequence: QKeySequence) -> bool:
    """A chord of keyboard keys (letters, digits, F-keys, arrows...), not a media key such
    as Find or Refresh that some platforms add as an alternative."""
    return sequence[0].key().value < Qt.Key.Key_Super_L.value


def screenshot(widget: QWidget, name: str) -> None:
    folder = os.environ.get("TENANTRY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def test_every_menu_action_has_keys_no_other_action_uses(window: MainWindow) -> None:
    entries = window_entries(window)
    assert len(entries) >= 25
    missing = [f"{menu} ▸ {a.text()}" for menu, a in entries if a.shortcut().isEmpty()]
    assert not missing, f"menu actions without a shortcut: {missing}"
    owners: dict[str, str] = {}
    for _menu, action in entries:
        for key in action.shortcuts():
            text = key.toString()
            assert text not in owners, f"{text} is both {owners[text]} and {action.text()}"
            owners[text] = action.text()
    # widget-level keys of the tables do not collide with the menus either, except while
    # they are enabled for a moment of their own (Esc discards a staged cell only while
    # the current cell holds one; the test of that is in test_inline_editing.py)
    menu_actions = {id(a) for _menu, a in entries}
    for action in window.browse_tabs["users"].view.actions():
        if id(action) in menu_actions:
            continue  # a menu action bound to the tables themselves (Del: Delete selected)
        assert not action.isEnabled() or action.shortcut().toString() not in owners


def test_pressing_each_menu_shortcut_triggers_its_action(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Generic over the menus, so actions added later (Save, Discard, ...) are covered too.
    The actions' own work is cut off here (it opens dialogs, quits...); the tests below
    press the keys again with the work connected."""
    users = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(users)
    fired: list[str] = []
    entries = window_entries(window)
    for _menu, action in entries:
        action.triggered.disconnect()
        action.setEnabled(True)
        action.triggered.connect(lambda _checked=False, a=action: fired.append(a.objectName()))
    for _menu, action in entries:
        assert typeable(action.shortcut()), action.text()  # the keys shown in the menu
        for key in filter(typeable, action.shortcuts()):
            users.view.setFocus()
            assert QApplication.focusWidget() is users.view
            fired.clear()
            press(users.view, key)
            assert fired == [action.objectName()], (action.text(), key.toString(), fired)


def test_view_and_go_keys_do_their_work(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    users = window.browse_tabs["users"]
    press(window.tabs, QKeySequence("Ctrl+2"))
    assert window.tabs.currentWidget() is users and users.view.hasFocus()
    press(users.view, QKeySequence("Ctrl+PgDown"))
    assert window.tabs.currentWidget() is window.browse_tabs["plugins"]
    press(window.browse_tabs["plugins"].view, QKeySequence("Ctrl+PgUp"))
    assert window.tabs.currentWidget() is users
    press(users.view, QKeySequence(QKeySequence.StandardKey.Find))
    assert users.filters.search.hasFocus()
    press(users.filters.search, QKeySequence("Ctrl+W"))  # nothing to close: back to the table
    assert users.view.hasFocus()
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        press(users.view, QKeySequence("F5"))

    window.firebase.dock.show()
    press(users.view, QKeySequence("Ctrl+W"))
    assert not window.firebase.dock.isVisible()


def test_back_and_forward_walk_the_organizations(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    tenants = window.tenants
    first = tenants.model.record(0)
    second = tenants.model.record(1)
    assert first is not None and second is not None
    window.show_organization(int(first["id"]))
    window.show_organization(int(second["id"]))
    window.tabs.setCurrentWidget(window.browse_tabs["plugins"])
    view = window.browse_tabs["plugins"].view
    view.setFocus()
    press(view, QKeySequence("Alt+Left"))
    assert window.tabs.currentWidget() is tenants and tenants.current == first["id"]
    press(tenants.organizations.view, QKeySequence("Alt+Right"))
    assert tenants.current == second["id"]
    qtbot.waitUntil(lambda: tenants.current_name != "", timeout=10_000)


def test_esc_cancels_a_running_export(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    users = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(users)
    users.view.setFocus()
    with qtbot.waitSignal(users.export.finished, timeout=20_000) as ended:
        users.export.start(tmp_path / "users.csv", "csv")
        assert users.export.running
        press(users.view, QKeySequence("Esc"))
        assert not users.export.cancel_button.isEnabled()  # the cancel went out
    message = ended.args[0]
    # Cancelled in time: nothing written. Finished just before: the whole file.
    assert ("cancelled" in message and not (tmp_path / "users.csv").exists()) or (
        "Exported" in message and (tmp_path / "users.csv").stat().st_size > 0
    )


def test_help_lists_every_menu_action_with_its_keys(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    press(window.tabs, QKeySequence("F1"))
    dialog = window.shortcuts.overview
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    qtbot.addWidget(dialog)
    rows = dialog.rows()
    listed = {(command, keys) for _group, command, keys in rows}
    for _menu, action in window_entries(window):
        keys = ", ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText)
            for k in action.shortcuts()
            if typeable(k)
        )
        text = action.text().replace("&", "").rstrip("…").strip()
        assert (text, keys) in listed, text
    assert any(command == "Copy cells" for _g, command, _k in rows)
    dialog.resize(560, 700)
    screenshot(dialog, "shortcuts-overview")
    dialog.filter.setText("organization")
    visible = [
        dialog.tree.topLevelItem(i).child(j).text(0)
        for i in range(dialog.tree.topLevelItemCount())
        for j in range(dialog.tree.topLevelItem(i).childCount())
        if not dialog.tree.topLevelItem(i).child(j).isHidden()
    ]
    assert visible and all("organization" in v.lower() for v in visible)


def test_preferences_and_quit(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.connection_dialog import ConnectionDialog

    preferences: Any = window.shortcuts.preferences_action
    press(window.tabs, preferences.shortcut())
    dialog = window.connection.dialog
    assert isinstance(dialog, ConnectionDialog) and dialog.isVisible()
    qtbot.addWidget(dialog)
    dialog.close()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    quit_action: QAction = window.shortcuts.quit_action
    press(window.tabs, quit_action.shortcut())
    assert not window.isVisible()


def test_del_in_a_filter_box_does_not_delete_rows(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Del belongs to Edit > Delete selected only while a table has the focus."""
    users = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(users)
    fired: list[bool] = []
    window.editing.delete_action.triggered.connect(lambda *_: fired.append(True))
    combo = users.filters.status
    assert combo is not None
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=2_000)
    press(combo, QKeySequence("Del"))
    assert fired == []
    users.view.setFocus()
    qtbot.waitUntil(users.view.hasFocus, timeout=2_000)
    press(users.view, QKeySequence("Del"))
    assert fired == [True]
