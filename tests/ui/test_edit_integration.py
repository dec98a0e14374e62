"""The Edit menu in the main window: enabled by profile, acts on the focused table, undo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from desktop.services.database import Database, open_database
from desktop.ui.forms.user_form import UserForm
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner


def _window(qtbot, runner: Runner, database: Database) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)
    return window


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Test", environment="development")
    yield db
    db.dispose()


def test_read_only_profiles_get_no_write_actions(qtbot, runner: Runner, seeded_url: str) -> None:  # type: ignore[no-untyped-def]
    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    try:
        window = _window(qtbot, runner, db)
        assert all(not action.isEnabled() for action in window.editing.write_actions)
    finally:
        runner.wait()
        db.dispose()


def test_edit_the_selected_user_then_undo(qtbot, runner: Runner, database: Database) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, runner, database)
    users_tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(users_tab)
    users_tab.view.setFocus()
    qtbot.waitUntil(lambda: users_tab.model.record(0) is not None, timeout=10_000)
    first = users_tab.model.record(0)
    assert first is not None
    users_tab.view.selectionModel().select(
        users_tab.model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert window.current_browse_tab() is users_tab
    window.editing.edit_action.trigger()
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, UserForm))
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
    assert form.record is not None and form.record.id == first["id"]
    form.name.setText("Renamed Through The Menu")
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    with database.engine.connect() as c:
        name = c.execute(text('SELECT name FROM "user" WHERE id = :i'), {"i": first["id"]})
        assert name.scalar_one() == "Renamed Through The Menu"
    with qtbot.waitSignal(window.editing.changed, timeout=10_000):
        window.editing.undo_action.trigger()
    with database.engine.connect() as c:
        name = c.execute(text('SELECT name FROM "user" WHERE id = :i'), {"i": first["id"]})
        assert name.scalar_one() == first["name"]


def test_about_shows_versions_and_the_schema_revision(
    qtbot, runner: Runner, database: Database
) -> None:  # type: ignore[no-untyped-def]
    from desktop.db import migrate

    window = _window(qtbot, runner, database)
    dialog = window.show_about()
    qtbot.addWidget(dialog)
    heads = ", ".join(migrate.head_revisions())
    qtbot.waitUntil(lambda: f"Schema revision: {heads}" in dialog.text(), timeout=10_000)
    text = dialog.text()
    assert "PostgreSQL server: 18" in text and "Qt: 6." in text and "Tenantry:" in text


def test_a_deleted_organization_leaves_the_detail_pane_and_the_history(
    qtbot, runner: Runner, database: Database
) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.forms.organization_delete import OrganizationDeleteDialog

    window = _window(qtbot, runner, database)
    tenants = window.tenants
    with database.engine.connect() as c:
        first, second = c.execute(text("SELECT id FROM organization ORDER BY id LIMIT 2")).scalars()
    tenants.show_organization(first)
    tenants.show_organization(second)
    qtbot.waitUntil(lambda: f"(organization {second})" in tenants.title.text(), timeout=10_000)
    org_tab = window.browse_tabs["organizations"]
    window.tabs.setCurrentWidget(tenants)
    org_tab.view.setFocus()
    row = next(
        r
        for r in range(org_tab.model.rowCount())
        if (org_tab.model.record(r) or {}).get("id") == second
    )
    org_tab.view.selectRow(row)
    window.editing.delete_action.trigger()
    dialog = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, OrganizationDeleteDialog)
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.delete_button.isEnabled(), timeout=10_000)
    with qtbot.waitSignal(window.editing.organization_deleted, timeout=10_000):
        dialog.confirm()
    assert tenants.title.text() == f"Organization {second} was deleted."
    assert tenants.current is None and not tenants.detail_tabs.isEnabled()
    assert tenants.history.items == [first] and tenants.history.position == 0


def test_read_only_edit_says_why_once(qtbot, runner: Runner, seeded_url: str) -> None:  # type: ignore[no-untyped-def]
    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    try:
        window = _window(qtbot, runner, db)
        messages: list[str] = []
        window.editing.message.connect(messages.append)
        window.editing.edit()
        assert messages == ["Editing needs a connection with a read-write profile."]
        pane = window.tenants.users
        assert pane.state.text() == "Select an organization to see its rows."
    finally:
        runner.wait()
        db.dispose()
