"""Switching database: no row of the previous one stays on screen; no schema: one message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gui_thread_guard import GuiThreadGuard
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from desktop.db import migrate
from desktop.services.database import Database, open_database
from desktop.ui.main_window import NO_SCHEMA_MESSAGE, MainWindow
from desktop.ui.runner import Runner


@pytest.fixture
def empty_database(empty_url: str) -> Iterator[Database]:
    db = open_database(empty_url, label="New database", environment="production")
    yield db
    db.dispose()


def _visible_texts(window: MainWindow) -> list[str]:
    """What every table and the organization pane show now."""
    texts = [window.tenants.title.text(), window.tenants.summary.text()]
    for tab in (*window.browse_tabs.values(), window.tenants.users, window.tenants.plugins):
        model = tab.model
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                value = model.index(row, column).data()
                if value:
                    texts.append(str(value))
    return texts


def test_switching_to_a_database_without_the_schema_clears_every_view_and_says_so_once(
    qtbot,  # type: ignore[no-untyped-def]
    empty_database: Database,
    window: MainWindow,
    database: Database,
    runner: Runner,
    gui_guard: GuiThreadGuard,
) -> None:
    with gui_guard.allow(), database.engine.connect() as c:
        old_emails = set(c.execute(text('SELECT email FROM "user" ORDER BY id LIMIT 50')).scalars())
        org = c.execute(text("SELECT id, name FROM organization ORDER BY id LIMIT 1")).one()
    window.show_organization(org.id)
    qtbot.waitUntil(lambda: org.name in window.tenants.title.text(), timeout=10_000)
    assert old_emails & set(_visible_texts(window))  # the old database's rows are shown

    errors: list[str] = []
    window.error_shown.connect(errors.append)
    window.set_database(empty_database)
    # At once, before the new database answered anything: nothing of the old one.
    shown = _visible_texts(window)
    assert not old_emails & set(shown)
    assert org.name not in " ".join(shown)
    assert "PRODUCTION" in window.banner.text()
    runner.wait()
    QApplication.processEvents()
    assert errors == [NO_SCHEMA_MESSAGE]  # one plain message, no SQL error per view
    assert window.width() <= 1400  # no error text widened the window
    assert all(not action.isEnabled() for action in window.editing.write_actions)

    # Migrated (as the Migrations tab's run does), the views load by themselves.
    with gui_guard.allow(), empty_database.engine.begin() as c:
        migrate.upgrade_to_head(empty_database.engine)
        c.execute(text("INSERT INTO organization (name) VALUES ('Fresh Tenant')"))
    window._after_migration(None)
    qtbot.waitUntil(
        lambda: window.browse_tabs["organizations"].model.rowCount() == 1, timeout=10_000
    )
    assert "Fresh Tenant" in _visible_texts(window)
    assert errors == [NO_SCHEMA_MESSAGE]


def test_switching_between_two_databases_shows_only_the_new_rows(
    qtbot,  # type: ignore[no-untyped-def]
    another_empty_url: str,
    window: MainWindow,
    database: Database,
    gui_guard: GuiThreadGuard,
) -> None:
    with gui_guard.allow():
        other_db = open_database(another_empty_url, label="Other", environment="staging")
    try:
        with gui_guard.allow(), other_db.engine.begin() as c:
            migrate.upgrade_to_head(other_db.engine)
            c.execute(text("INSERT INTO organization (name) VALUES ('Only Here')"))
        with gui_guard.allow():
            reopened = open_database(another_empty_url, label="Other", environment="staging")
        try:
            with gui_guard.allow(), database.engine.connect() as c:
                old = set(
                    c.execute(text('SELECT email FROM "user" ORDER BY id LIMIT 50')).scalars()
                )
            assert old & set(_visible_texts(window))
            with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
                window.set_database(reopened)
                # At once, before the new database answered: nothing of the old one.
                assert not old & set(_visible_texts(window))
            assert window.browse_tabs["users"].model.rowCount() == 0
            assert window.browse_tabs["organizations"].model.rowCount() == 1
            assert "Only Here" in _visible_texts(window)
        finally:
            window.runner.wait()
            reopened.dispose()
    finally:
        other_db.dispose()
