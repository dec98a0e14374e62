"""The PostgreSQL server stops while the user browses and edits, then comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from gui_thread_guard import GuiThreadGuard
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import text

from desktop.services.database import Database, open_database
from desktop.services.writes import Actor
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.user_form import UserForm
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

from .conftest import MAX_GUI_GAP_S, Heartbeat, PrivateServer, shot, wait_thread

TYPED = "Typed While The Server Was Down"


@pytest.fixture
def database(private_server: PrivateServer) -> Iterator[Database]:
    db = open_database(private_server.url(), label="Private server", environment="development")
    yield db
    db.dispose()


def test_server_stopped_while_browsing_then_started(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    private_server: PrivateServer,
    database: Database,
    sql_guard: GuiThreadGuard,
    heartbeat: Heartbeat,
) -> None:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)
    users_tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(users_tab)
    with sql_guard.allow(), database.engine.connect() as c:
        user_id = c.execute(
            text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id LIMIT 1')
        ).scalar_one()

    # An edit form is open with typed, unsaved text when the server goes away.
    form = UserForm(EditContext(database, runner, Actor("faults", "tester")), user_id)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
    assert isinstance(form.name, QLineEdit)
    form.name.setText(TYPED)

    heartbeat.start()
    wait_thread(qtbot, private_server.in_background(private_server.stop))
    assert not private_server.server.is_running()

    # Browsing: a new search fails with a message in the status bar and a banner.
    shown: list[str] = []
    window.error_shown.connect(shown.append)
    started = time.monotonic()
    with qtbot.waitSignal(window.error_shown, timeout=10_000):
        users_tab.filters.search.setText("a")
    browse_s = time.monotonic() - started
    assert browse_s < 3, f"a refused connection must be reported at once, took {browse_s:.1f} s"
    assert "Could not load users" in shown[0]
    assert "Connection refused" in shown[0] and "is it running?" in shown[0]
    assert "Connection refused" in window.statusBar().currentMessage()
    banner = window.connection.banner
    assert banner.isVisible()
    assert "Connection lost" in banner.label.text()
    assert "Nothing you had open or typed is lost" in banner.label.text()

    # Saving the open form fails clearly; the form and what was typed stay.
    started = time.monotonic()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Nothing was saved" in form.message.text(), timeout=10_000)
    save_s = time.monotonic() - started
    assert save_s < 3, save_s
    assert "Connection refused" in form.message.text()
    assert form.isVisible() and form.name.text() == TYPED
    assert form.save_button.isEnabled(), "the user must be able to retry"
    shot(window, "server-stopped-window")
    shot(form, "server-stopped-form")

    # The server comes back: Reconnect hides the banner and reloads the tables.
    wait_thread(qtbot, private_server.in_background(private_server.start))
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5_000)
    assert users_tab.model.rowCount() > 0
    assert users_tab.model.state.search == "a"

    # Retrying the save works and stores exactly what was typed.
    with qtbot.waitSignal(form.saved, timeout=10_000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    heartbeat.stop()
    with sql_guard.allow(), database.engine.connect() as c:
        name = c.execute(text('SELECT name FROM "user" WHERE id = :id'), {"id": user_id})
        assert name.scalar_one() == TYPED
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nserver stopped: browse error in {browse_s:.2f} s, save error in {save_s:.2f} s,")
    print(f"longest GUI pause {heartbeat.max_gap() * 1000:.0f} ms")
