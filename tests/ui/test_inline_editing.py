"""Inline editing in the real grids: staged cells survive sort, search and reload; one save."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)
from sqlalchemy import text

from desktop.services.database import Database, open_database
from desktop.ui import inline_delegate
from desktop.ui.forms import conflict_dialog
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner
from desktop.ui.table_model import PagedTableModel
from desktop.ui.table_view import BrowseTab

SHOTS = Path(os.environ.get("TENANTRY_SHOTS", "/tmp/tenantry-shots"))


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Test", environment="development")
    yield db
    db.dispose()


def open_window(qtbot: Any, runner: Runner, database: Database) -> MainWindow:
    window = MainWindow(runner)
    # A failed test must not leave staged changes behind: closing would ask (modal) first.
    qtbot.addWidget(window, before_close_func=lambda w: w.inline.staging.discard())
    window.show()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)
    return window


def users_tab(qtbot: Any, window: MainWindow) -> BrowseTab:
    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.record(0) is not None, timeout=10_000)
    return tab


def col(model: PagedTableModel, key: str) -> int:
    return next(c for c in range(model.columnCount()) if model.column_key(c) == key)


def shown(model: PagedTableModel, row: int, key: str) -> str:
    return str(model.index(row, col(model, key)).data())


def open_editor(tab: BrowseTab) -> QWidget | None:
    """The inline editor open in `tab`'s grid (closed ones wait for deletion, hidden)."""
    editors = tab.view.viewport().findChildren(
        QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
    )
    return next((e for e in editors if e.objectName().startswith("inline") and e.isVisible()), None)


def edit_cell(qtbot: Any, tab: BrowseTab, row: int, key: str, value: str) -> None:
    """Through the real view and delegate: F2, type, Enter."""
    index = tab.model.index(row, col(tab.model, key))
    tab.view.setCurrentIndex(index)
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_F2)
    editor = open_editor(tab)
    assert isinstance(editor, QLineEdit), "no inline editor opened"
    editor.selectAll()
    qtbot.keyClicks(editor, value)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.view.state() != QAbstractItemView.State.EditingState, timeout=2_000)


def reload_and_wait(qtbot: Any, tab: BrowseTab, action: Callable[[], object]) -> None:
    with qtbot.waitSignal(tab.model.page_loaded, timeout=10_000):
        action()


def search(qtbot: Any, tab: BrowseTab, words: str) -> None:
    def go() -> None:
        tab.filters.search.setText(words)
        tab.filters.flush()

    reload_and_wait(qtbot, tab, go)


def find_row(model: PagedTableModel, row_id: int) -> int:
    for row in range(min(model.rowCount(), 100)):
        record = model.record(row)
        if record is not None and record["id"] == row_id:
            return row
    raise AssertionError(f"row #{row_id} is not in the first block")


def user_in_db(gui_guard: Any, database: Database, user_id: int) -> Any:
    with gui_guard.allow(), database.engine.connect() as c:
        return c.execute(
            text('SELECT name, email, status FROM "user" WHERE id = :id'), {"id": user_id}
        ).one()


def user_version(gui_guard: Any, database: Database, user_id: int) -> str:
    with gui_guard.allow(), database.engine.connect() as c:
        return str(
            c.execute(
                text('SELECT xmin::text FROM "user" WHERE id = :id'), {"id": user_id}
            ).scalar()
        )


def answer(box_name: str, button: QMessageBox.StandardButton) -> None:
    """Click `button` of the message box `box_name` as soon as it is shown (it runs exec)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != box_name:
            QTimer.singleShot(20, click)
            return
        box.button(button).click()

    QTimer.singleShot(0, click)


def test_staged_cells_survive_sort_search_and_reload_then_save_once(
    qtbot: Any, runner: Runner, database: Database, gui_guard: Any
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    reload_and_wait(
        qtbot, tab, lambda: tab.view.sortByColumn(col(model, "name"), Qt.SortOrder.DescendingOrder)
    )
    row = next(r for r in range(10) if not model.record(r)["is_system"])  # type: ignore[index]
    record = model.record(row)
    assert record is not None
    user_id, old_name, old_email = record["id"], record["name"], record["email"]

    edit_cell(qtbot, tab, row, "name", "Zz Staged Person")
    edit_cell(qtbot, tab, row, "email", "zz.staged@example.org")
    assert shown(model, row, "name") == "Zz Staged Person"
    assert shown(model, row, "email") == "zz.staged@example.org"
    assert window.inline.bar.isVisible()
    assert window.inline.bar.label.text() == "2 unsaved changes"
    tip = model.index(row, col(model, "name")).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == f"Not saved yet. Was: {old_name}"
    assert user_in_db(gui_guard, database, user_id).name == old_name  # nothing written yet

    # Sort by another column, a search that hides the row, one that shows it, a reload.
    reload_and_wait(
        qtbot, tab, lambda: tab.view.sortByColumn(col(model, "email"), Qt.SortOrder.AscendingOrder)
    )
    search(qtbot, tab, "no-such-person-anywhere")
    assert model.rowCount() == 0
    search(qtbot, tab, old_email)
    assert model.rowCount() == 1
    assert shown(model, 0, "name") == "Zz Staged Person"
    assert shown(model, 0, "email") == "zz.staged@example.org"
    search(qtbot, tab, "")
    reload_and_wait(
        qtbot, tab, lambda: tab.view.sortByColumn(col(model, "name"), Qt.SortOrder.DescendingOrder)
    )
    reload_and_wait(qtbot, tab, window.reload_data)
    row = find_row(model, user_id)
    assert shown(model, row, "name") == "Zz Staged Person"
    assert len(window.inline.staging) == 2

    with gui_guard.allow(), database.engine.connect() as c:
        audits = c.execute(text("SELECT count(*) FROM tenantry_audit")).scalar_one()
    with qtbot.waitSignal(window.inline.finished, timeout=10_000) as done:
        window.inline.save_action.trigger()
    assert done.args == [True]
    saved = user_in_db(gui_guard, database, user_id)
    assert (saved.name, saved.email) == ("Zz Staged Person", "zz.staged@example.org")
    with gui_guard.allow(), database.engine.connect() as c:
        entries = c.execute(text("SELECT entity_id, action FROM tenantry_audit ORDER BY id")).all()[
            audits:
        ]
    assert [tuple(e) for e in entries] == [(user_id, "update")]
    assert not window.inline.staging and not window.inline.bar.isVisible()
    # After the reload the row comes from the database, sorted by its new name.
    qtbot.waitUntil(lambda: shown(model, 0, "name") == "Zz Staged Person", timeout=10_000)
    assert model.record(0)["id"] == user_id  # type: ignore[index]
    # The Edit menu's undo reverts the whole inline save.
    with qtbot.waitSignal(window.editing.changed, timeout=10_000):
        window.editing.undo_action.trigger()
    assert user_in_db(gui_guard, database, user_id).name == old_name


def test_a_colleagues_change_shows_the_conflict_and_nothing_is_written(
    qtbot: Any,
    runner: Runner,
    database: Database,
    gui_guard: Any,
    seeded_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    rows = [r for r in range(10) if not model.record(r)["is_system"]][:2]  # type: ignore[index]
    ids = [model.record(r)["id"] for r in rows]  # type: ignore[index]
    names = [model.record(r)["name"] for r in rows]  # type: ignore[index]
    edit_cell(qtbot, tab, rows[0], "name", "Mine One")
    edit_cell(qtbot, tab, rows[1], "name", "Mine Two")
    with gui_guard.allow():
        colleague = open_database(seeded_url, label="Colleague", environment="development")
        try:
            with colleague.engine.begin() as c:
                c.execute(
                    text('UPDATE "user" SET name = :n WHERE id = :id'),
                    {"n": "Colleague's name", "id": ids[0]},
                )
        finally:
            colleague.dispose()

    seen: list[dict[str, str]] = []

    def choose_reload(self: conflict_dialog.ConflictDialog) -> int:
        table = self.findChild(conflict_dialog.QTableWidget, "conflictTable")
        cells = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
        seen.append({field: theirs for field, _mine, theirs in cells})
        seen[-1]["mine"] = next(mine for field, mine, _theirs in cells if field == "name")
        self.findChild(QPushButton, "reloadButton").click()
        return 0

    monkeypatch.setattr(conflict_dialog.ConflictDialog, "exec", choose_reload)
    with qtbot.waitSignal(window.inline.finished, timeout=10_000) as done:
        window.inline.save_action.trigger()
    assert done.args == [False]
    assert seen == [seen[0]] and seen[0]["name"] == "Colleague's name"
    assert seen[0]["mine"] == "Mine One"
    # The database keeps the colleague's change, and the other row was not written either.
    assert user_in_db(gui_guard, database, ids[0]).name == "Colleague's name"
    assert user_in_db(gui_guard, database, ids[1]).name == names[1]
    # "Reload" dropped my change to that row only; the other stays staged, then saves.
    assert window.inline.staging.get("users", ids[0]) is None
    assert window.inline.staging.get("users", ids[1]) is not None
    with qtbot.waitSignal(window.inline.finished, timeout=10_000) as done:
        window.inline.save_action.trigger()
    assert done.args == [True]
    assert user_in_db(gui_guard, database, ids[1]).name == "Mine Two"
    assert user_in_db(gui_guard, database, ids[0]).name == "Colleague's name"


def test_a_change_in_a_column_the_grid_does_not_show_is_caught_by_the_row_version(
    qtbot: Any,
    runner: Runner,
    database: Database,
    gui_guard: Any,
    seeded_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    row = next(r for r in range(10) if not tab.model.record(r)["is_system"])  # type: ignore[index]
    user_id = tab.model.record(row)["id"]  # type: ignore[index]
    name = tab.model.record(row)["name"]  # type: ignore[index]
    edit_cell(qtbot, tab, row, "name", "Mine")
    with gui_guard.allow():
        colleague = open_database(seeded_url, label="Colleague", environment="development")
        try:
            with colleague.engine.begin() as c:
                c.execute(
                    text("UPDATE \"user\" SET active_token_id = 'rotated-token' WHERE id = :id"),
                    {"id": user_id},
                )
        finally:
            colleague.dispose()
    shown_to_user: list[dict[str, tuple[str, str]]] = []
    notes: list[bool] = []

    def keep_editing(self: conflict_dialog.ConflictDialog) -> int:
        table = self.findChild(conflict_dialog.QTableWidget, "conflictTable")
        shown_to_user.append(
            {
                table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
                for r in range(table.rowCount())
            }
        )
        notes.append(self.findChild(conflict_dialog.QLabel, "conflictHiddenChange") is not None)
        self.findChild(QPushButton, "keepEditingButton").click()
        return 0

    monkeypatch.setattr(conflict_dialog.ConflictDialog, "exec", keep_editing)
    with qtbot.waitSignal(window.inline.finished, timeout=10_000) as done:
        window.inline.save_action.trigger()
    assert done.args == [False]
    (fields,) = shown_to_user
    # The column the grid never showed is in the dialog, with the colleague's value.
    assert fields["active_token_id"] == ("(not in the grid)", "rotated-token")
    assert fields["name"] == ("Mine", name)
    assert notes == [False]  # my name differs from theirs: no "nothing differs" note
    assert user_in_db(gui_guard, database, user_id).name == name
    assert window.inline.staging.get("users", user_id) is not None  # still staged


def test_invalid_and_duplicate_emails_are_marked_on_the_cell_and_nothing_is_written(
    qtbot: Any, runner: Runner, database: Database, gui_guard: Any
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    rows = [r for r in range(10) if not model.record(r)["is_system"]][:2]  # type: ignore[index]
    ids = [model.record(r)["id"] for r in rows]  # type: ignore[index]
    before = [user_in_db(gui_guard, database, i) for i in ids]
    email_col = col(model, "email")

    edit_cell(qtbot, tab, rows[0], "email", "not an email")
    assert model.staged_cell(rows[0], email_col) == (
        True,
        "'not an email' is not a valid email address.",
    )
    assert "Problem: 'not an email' is not a valid" in model.index(rows[0], email_col).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert "1 problem" in window.inline.bar.label.text()
    messages: list[str] = []
    window.inline.message.connect(messages.append)
    assert window.inline.save() is False  # refused before any database work
    assert "Fix the cells marked in red" in messages[-1] and f"#{ids[0]}" in messages[-1]

    # A syntactically fine email that another user has: the save finds it, on that cell.
    with gui_guard.allow(), database.engine.connect() as c:
        taken = c.execute(
            text('SELECT email FROM "user" WHERE id <> ALL(:ids) ORDER BY id LIMIT 1'),
            {"ids": ids},
        ).scalar_one()
    edit_cell(qtbot, tab, rows[0], "email", taken)
    edit_cell(qtbot, tab, rows[1], "name", "Fine Name")
    assert model.staged_cell(rows[0], email_col) == (True, None)
    with qtbot.waitSignal(window.inline.finished, timeout=10_000) as done:
        window.inline.save_action.trigger()
    assert done.args == [False]
    changed, problem = model.staged_cell(rows[0], email_col)
    assert changed and problem is not None and "already has this email" in problem
    assert model.staged_cell(rows[1], col(model, "name")) == (True, None)
    assert [user_in_db(gui_guard, database, i) for i in ids] == before
    assert "Nothing was saved" in messages[-1]


def test_status_combo_and_discarding_restore_the_loaded_values(
    qtbot: Any, runner: Runner, database: Database
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    row = next(r for r in range(10) if not model.record(r)["is_system"])  # type: ignore[index]
    old_status, old_name = shown(model, row, "status"), shown(model, row, "name")
    status_col = col(model, "status")
    tab.view.setCurrentIndex(model.index(row, status_col))
    qtbot.keyClick(tab.view, Qt.Key.Key_F2)
    combo = open_editor(tab)
    assert isinstance(combo, QComboBox) and [combo.itemText(i) for i in range(combo.count())] == [
        "Active",
        "Inactive",
        "Deleted",
    ]
    target = "Deleted" if old_status != "Deleted" else "Active"
    combo.setCurrentIndex(combo.findText(target))
    tab.view.commitData(combo)
    tab.view.closeEditor(combo, inline_delegate.InlineDelegate.EndEditHint.NoHint)
    assert shown(model, row, "status") == target
    edit_cell(qtbot, tab, row, "name", "Discard Me")
    assert len(window.inline.staging) == 2

    # Esc on a staged cell discards that cell only.
    tab.view.setCurrentIndex(model.index(row, status_col))
    tab.view.setFocus()
    discard_cell = next(a for a in tab.view.actions() if a.objectName() == "discardCellAction")
    discard_cell.trigger()
    assert shown(model, row, "status") == old_status and shown(model, row, "name") == "Discard Me"
    # Edit ▸ Discard staged changes forgets the rest.
    window.inline.discard_action.trigger()
    assert shown(model, row, "name") == old_name
    assert not window.inline.staging and not window.inline.bar.isVisible()
    # Typing the old value back unstages the cell as well.
    edit_cell(qtbot, tab, row, "name", old_name)
    assert not window.inline.staging


def test_read_only_profiles_cannot_edit_cells(qtbot: Any, runner: Runner, seeded_url: str) -> None:
    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    try:
        window = open_window(qtbot, runner, db)
        tab = users_tab(qtbot, window)
        model = tab.model
        for key in ("name", "email", "status"):
            index = model.index(0, col(model, key))
            assert not model.flags(index) & Qt.ItemFlag.ItemIsEditable
            assert model.setData(index, "x") is False
        tab.view.setCurrentIndex(model.index(0, col(model, "name")))
        qtbot.keyClick(tab.view, Qt.Key.Key_F2)
        assert open_editor(tab) is None
        assert not window.inline.staging and not window.inline.save_action.isEnabled()
    finally:
        runner.wait()
        db.dispose()


def test_only_natural_cells_are_editable_and_credentials_never(
    qtbot: Any, runner: Runner, database: Database, gui_guard: Any
) -> None:
    window = open_window(qtbot, runner, database)
    editable = {}
    for name, tab in window.browse_tabs.items():
        qtbot.waitUntil(lambda tab=tab: tab.model.record(0) is not None, timeout=10_000)
        model = tab.model
        editable[name] = {
            model.column_key(c)
            for c in range(model.columnCount())
            if model.flags(model.index(0, c)) & Qt.ItemFlag.ItemIsEditable
        }
    assert editable == {
        "users": {"name", "email", "status"},
        "organizations": {"name"},
        "plugins": {"title"},
    }
    plugins = window.browse_tabs["plugins"]
    window.tabs.setCurrentWidget(plugins)
    model = plugins.model
    creds = model.index(0, col(model, "credentials"))
    assert model.setData(creds, '{"token": "stolen"}') is False
    plugins.view.setCurrentIndex(creds)
    qtbot.keyClick(plugins.view, Qt.Key.Key_F2)
    assert open_editor(plugins) is None
    edit_cell(qtbot, plugins, 0, "title", "Renamed Plugin")
    with gui_guard.allow(), database.engine.connect() as c:
        secrets = [
            v
            for (v,) in c.execute(
                text("SELECT value FROM plugin, json_each_text(credentials) WHERE plugin.id = :id"),
                {"id": model.record(0)["id"]},  # type: ignore[index]
            )
        ]
    texts = [
        str(model.index(0, c).data(role) or "")
        for c in range(model.columnCount())
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    ]
    assert secrets and not any(s in t for s in secrets for t in texts if len(s) > 3)
    with qtbot.waitSignal(window.inline.finished, timeout=10_000) as done:
        window.inline.save_action.trigger()
    assert done.args == [True]


def test_closing_or_switching_with_staged_changes_asks_first(
    qtbot: Any, runner: Runner, database: Database, seeded_url: str
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    row = next(r for r in range(10) if not tab.model.record(r)["is_system"])  # type: ignore[index]
    edit_cell(qtbot, tab, row, "name", "Unsaved Person")

    answer("unsavedChanges", QMessageBox.StandardButton.Cancel)
    window.close()
    assert window.isVisible() and len(window.inline.staging) == 1

    # Switching to another database: Cancel keeps this one (and the change).
    from desktop.services.connect import Opened

    other = open_database(seeded_url, label="Other", environment="development")
    answer("unsavedChanges", QMessageBox.StandardButton.Cancel)
    window.connection.use(Opened(other))
    assert window.database is database and len(window.inline.staging) == 1
    qtbot.waitUntil(lambda: runner.wait(0), timeout=5_000)

    answer("unsavedChanges", QMessageBox.StandardButton.Discard)
    window.close()
    assert not window.isVisible() and not window.inline.staging


def test_staged_cells_are_clearly_visible(qtbot: Any, runner: Runner, database: Database) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    rows = [r for r in range(10) if not model.record(r)["is_system"]][:2]  # type: ignore[index]
    edit_cell(qtbot, tab, rows[0], "name", "Staged Name")
    edit_cell(qtbot, tab, rows[1], "email", "broken email")
    tab.view.clearSelection()
    tab.view.setCurrentIndex(model.index(9, 0))
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = window.grab().toImage()
    window.grab().save(str(SHOTS / "inline-staged.png"))
    for row, key, tint in (
        (rows[0], "name", inline_delegate.STAGED[0]),
        (rows[1], "email", inline_delegate.PROBLEM[0]),
    ):
        rect = tab.view.visualRect(model.index(row, col(model, key)))
        corner = tab.view.viewport().mapTo(window, rect.topLeft() + QPoint(3, 3))
        assert image.pixelColor(corner).name() == tint.name(), (row, key)
    plain = tab.view.visualRect(model.index(rows[0], col(model, "email")))
    corner = tab.view.viewport().mapTo(window, plain.topLeft() + QPoint(3, 3))
    assert image.pixelColor(corner).name() not in {
        inline_delegate.STAGED[0].name(),
        inline_delegate.PROBLEM[0].name(),
    }
    window.inline.discard_all()


def test_production_asks_before_saving_and_cancel_writes_nothing(
    qtbot: Any, runner: Runner, seeded_url: str, gui_guard: Any
) -> None:
    with gui_guard.allow():
        db = open_database(seeded_url, label="Prod", environment="production")
    try:
        window = open_window(qtbot, runner, db)
        tab = users_tab(qtbot, window)
        row = next(r for r in range(10) if not tab.model.record(r)["is_system"])  # type: ignore[index]
        user_id = tab.model.record(row)["id"]  # type: ignore[index]
        before = user_in_db(gui_guard, db, user_id)
        edit_cell(qtbot, tab, row, "name", "Prod Rename")
        answer("confirmWrite", QMessageBox.StandardButton.Cancel)
        assert window.inline.save() is False
        assert user_in_db(gui_guard, db, user_id) == before
        assert len(window.inline.staging) == 1  # still staged, to save or discard later
    finally:
        runner.wait()
        db.dispose()


def test_double_click_still_opens_the_form_not_an_inline_editor(
    qtbot: Any, runner: Runner, database: Database
) -> None:
    from desktop.ui.forms.user_form import UserForm

    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    index = tab.model.index(0, col(tab.model, "name"))
    where = tab.view.visualRect(index).center()
    qtbot.mouseClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.wait(QApplication.doubleClickInterval() + 100)
    qtbot.mouseDClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(
        lambda: any(isinstance(w, UserForm) for w in QApplication.topLevelWidgets()),
        timeout=5_000,
    )
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, UserForm))
    qtbot.addWidget(form)
    qtbot.wait(QApplication.doubleClickInterval() * 2)
    assert open_editor(tab) is None
    qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
    form.close()
    # A single click on a cell of the selected row starts editing it.
    qtbot.wait(QApplication.doubleClickInterval() + 100)
    qtbot.mouseClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(lambda: open_editor(tab) is not None, timeout=3_000)
    editor = open_editor(tab)
    assert isinstance(editor, QLineEdit) and editor.text() == tab.model.record(0)["name"]  # type: ignore[index]
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not window.inline.staging


def test_a_save_refreshes_only_the_rows_it_touched_and_the_view_stays_where_it_was(
    qtbot: Any, runner: Runner, database: Database, gui_guard: Any
) -> None:
    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    tab.view.scrollTo(model.index(250, 0))  # a block further down is loaded and kept
    qtbot.waitUntil(lambda: model.record(250) is not None, timeout=10_000)
    row = next(r for r in range(40, 60) if not model.record(r)["is_system"])  # type: ignore[index]
    user_id = model.record(row)["id"]  # type: ignore[index]
    other = model.record(250)
    edit_cell(qtbot, tab, row, "name", "Refreshed In Place")
    scrolled = tab.view.verticalScrollBar().value()
    assert scrolled > 0
    blocks = model.cached_blocks()
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.rows_refreshed, timeout=10_000) as refreshed:
        window.inline.save_action.trigger()
    assert refreshed.args == [1]
    assert resets == [], "the view was reloaded, not refreshed"
    assert shown(model, row, "name") == "Refreshed In Place"
    assert model.record(row)["id"] == user_id  # type: ignore[index]
    # The new row version came with the row: a second save of it is not a conflict.
    assert model.record(row)["version"] == user_version(gui_guard, database, user_id)  # type: ignore[index]
    assert model.cached_blocks() == blocks and model.record(250) == other
    assert tab.view.verticalScrollBar().value() == scrolled


def test_a_change_that_takes_a_row_out_of_the_filter_reloads_the_view(
    qtbot: Any, runner: Runner, database: Database, gui_guard: Any
) -> None:
    from desktop.core.user_status import UserStatus
    from desktop.services import users

    window = open_window(qtbot, runner, database)
    tab = users_tab(qtbot, window)
    model = tab.model
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        model.set_state(model.state.with_(statuses=frozenset({int(UserStatus.ACTIVE)})))
    row = next(r for r in range(10) if not model.record(r)["is_system"])  # type: ignore[index]
    user_id = model.record(row)["id"]  # type: ignore[index]
    version = model.record(row)["version"]  # type: ignore[index]
    # Written on a worker thread, as every write of the app is: the news crosses to the GUI.
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        runner.submit(
            lambda: users.set_status(
                database,
                window.editing.context.actor,
                user_id,
                version,
                UserStatus.INACTIVE,  # type: ignore[union-attr]
            )
        )
    ids = [model.record(r)["id"] for r in range(min(model.rowCount(), 20))]  # type: ignore[index]
    assert user_id not in ids


def test_renaming_an_organization_refreshes_its_name_in_the_users_grid(
    qtbot: Any, runner: Runner, database: Database
) -> None:
    window = open_window(qtbot, runner, database)
    users = users_tab(qtbot, window)
    org_id = users.model.record(0)["organization_id"]  # type: ignore[index]
    orgs = window.tenants.organizations
    window.tabs.setCurrentWidget(window.tenants)
    qtbot.waitUntil(lambda: orgs.model.record(0) is not None, timeout=10_000)
    resets: list[int] = []
    users.model.modelReset.connect(lambda: resets.append(1))
    edit_cell(qtbot, orgs, find_row(orgs.model, org_id), "name", "Renamed Tenant Inc")
    with qtbot.waitSignal(users.model.rows_refreshed, timeout=10_000):
        window.inline.save_action.trigger()
    assert resets == []
    rows = [r for r in range(100) if users.model.record(r)["organization_id"] == org_id]  # type: ignore[index]
    assert rows and all(shown(users.model, r, "organization") == "Renamed Tenant Inc" for r in rows)
