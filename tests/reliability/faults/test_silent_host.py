"""A host that accepts TCP and never answers; a statement that runs too long."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_thread_guard import GuiThreadGuard
from PySide6.QtCore import Qt
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from desktop.core.profiles import Profile, ProfileStore
from desktop.core.secrets import SecretStore, SessionPasswords
from desktop.db.embedded import EmbeddedPostgres
from desktop.services.connect import Connector, Opened, open_profile
from desktop.services.database import Database
from desktop.ui.connection_dialog import ConnectionDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

from .conftest import MAX_GUI_GAP_S, Heartbeat, shot


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path / "home"))
    # No keyring on this bus: the dialog says so at once (no password is needed here).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    return tmp_path / "home"


def _fill(qtbot, dialog: ConnectionDialog, profile: Profile) -> None:  # type: ignore[no-untyped-def]
    form = dialog.form
    for widget, value in (
        (form.name, profile.name),
        (form.host, profile.host),
        (form.database, profile.database),
        (form.user, profile.user),
    ):
        widget.clear()
        qtbot.keyClicks(widget, value)
    form.port.setValue(profile.port)
    form.sslmode.setCurrentText(profile.sslmode)
    form.connect_timeout.setValue(profile.connect_timeout)


@pytest.mark.parametrize("timeout_s", [1, 2])
def test_silent_host_times_out_within_the_connect_timeout_then_a_retry_works(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    home: Path,
    pg_server: EmbeddedPostgres,
    seeded_url: str,
    silent_host: int,
    heartbeat: Heartbeat,
    sql_guard: GuiThreadGuard,
    timeout_s: int,
) -> None:
    connector = Connector(ProfileStore(), SecretStore(), SessionPasswords())
    dialog = ConnectionDialog(runner, connector)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    database = make_url(seeded_url).database
    assert database
    profile = Profile(
        name="silent",
        host="127.0.0.1",
        port=silent_host,
        database=database,
        user="postgres",
        sslmode="disable",
        connect_timeout=timeout_s,
    )
    _fill(qtbot, dialog, profile)
    heartbeat.start()
    started = time.monotonic()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert f"up to {timeout_s} s" in dialog.outcome.text()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=(timeout_s + 5) * 1000)
    elapsed = time.monotonic() - started
    shown = dialog.outcome.text()
    assert f"Timed out after {timeout_s} s connecting to 127.0.0.1:{silent_host}" in shown
    assert "did not answer" in shown
    assert timeout_s - 0.25 < elapsed < timeout_s + 1.5, elapsed
    assert dialog.isVisible() and dialog.form.host.text() == "127.0.0.1"
    assert dialog.form.port.value() == silent_host, "what the user typed stays in the form"
    shot(dialog, f"silent-host-{timeout_s}s")

    # Retry against the right port: it opens.
    dialog.form.port.setValue(pg_server.running_port)
    with qtbot.waitSignal(dialog.opened, timeout=10_000) as opened:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    heartbeat.stop()
    result = opened.args[0]
    assert isinstance(result, Opened)
    try:
        assert result.database.info.database == database
    finally:
        result.database.dispose()
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nsilent host, connect timeout {timeout_s} s: message after {elapsed:.2f} s")


STATEMENT_TIMEOUT_MS = 1000


@pytest.fixture
def limited(pg_server: EmbeddedPostgres, seeded_url: str) -> Iterator[Database]:
    """The seeded database opened through a profile with a 1 s statement timeout."""
    name = make_url(seeded_url).database
    assert name
    profile = Profile(
        name="limited",
        host="127.0.0.1",
        port=pg_server.running_port,
        database=name,
        user="postgres",
        sslmode="disable",
        connect_timeout=3,
        statement_timeout=STATEMENT_TIMEOUT_MS,
    )
    db = open_profile(profile, None)
    yield db
    db.dispose()


def test_statement_timeout_is_a_clear_message_then_a_retry_works(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    seeded_url: str,
    limited: Database,
    heartbeat: Heartbeat,
    sql_guard: GuiThreadGuard,
) -> None:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(limited)
    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    dba = create_engine(seeded_url)
    try:
        with sql_guard.allow():
            blocker = dba.connect()
            blocker.execute(text('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE'))
        heartbeat.start()
        started = time.monotonic()
        with qtbot.waitSignal(window.error_shown, timeout=10_000) as shown:
            tab.filters.search.setText("son")
        elapsed = time.monotonic() - started
        message = shown.args[0]
        assert message == (
            "Could not load users: The query ran longer than the statement timeout "
            f"({STATEMENT_TIMEOUT_MS:,} ms) and was cancelled."
        )
        assert message in window.statusBar().currentMessage()
        assert not window.connection.banner.isVisible(), "a slow query is not a lost connection"
        shot(window, "statement-timeout-window")
        # ~150 ms debounce + the timeout itself, then the message; never much later.
        assert STATEMENT_TIMEOUT_MS / 1000 < elapsed < STATEMENT_TIMEOUT_MS / 1000 + 2, elapsed
        with sql_guard.allow():
            blocker.rollback()
            blocker.close()
        # Retry: Enter in the search box asks for the same search again, and the rows come.
        with qtbot.waitSignal(tab.model.page_loaded, timeout=10_000):
            qtbot.keyClick(tab.filters.search, Qt.Key.Key_Return)
        assert tab.filters.search.text() == "son"
        heartbeat.stop()
        assert tab.model.rowCount() > 0
    finally:
        dba.dispose()
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nstatement timeout {STATEMENT_TIMEOUT_MS} ms: message after {elapsed:.2f} s")
