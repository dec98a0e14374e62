"""The session's backend is terminated (pg_terminate_backend) in the middle of a save."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from gui_thread_guard import GuiThreadGuard
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from desktop.core.profiles import Profile
from desktop.db.embedded import EmbeddedPostgres
from desktop.services.connect import open_profile
from desktop.services.database import Database, open_database
from desktop.services.writes import Actor
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.user_form import UserForm
from desktop.ui.runner import Runner

from .conftest import MAX_GUI_GAP_S, Heartbeat, shot

TYPED = "Saved After The Backend Died"


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Test database", environment="development")
    yield db
    db.dispose()


def _snapshot(c: Connection, user_id: int) -> tuple[str, int]:
    name = c.execute(text('SELECT name FROM "user" WHERE id = :id'), {"id": user_id}).scalar_one()
    audited = c.execute(
        text("SELECT count(*) FROM tenantry_audit WHERE entity = 'user' AND entity_id = :id"),
        {"id": user_id},
    ).scalar_one()
    return str(name), int(audited)


def test_backend_terminated_mid_save(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    seeded_url: str,
    database: Database,
    sql_guard: GuiThreadGuard,
    heartbeat: Heartbeat,
) -> None:
    name_of_db = make_url(seeded_url).database
    other = create_engine(seeded_url)  # a colleague's session and a DBA's session
    try:
        with sql_guard.allow(), other.connect() as c:
            user_id = int(
                c.execute(
                    text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id LIMIT 1')
                ).scalar_one()
            )
            before = _snapshot(c, user_id)

        form = UserForm(EditContext(database, runner, Actor("faults", "tester")), user_id)
        qtbot.addWidget(form)
        form.show()
        qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
        assert isinstance(form.name, QLineEdit)
        form.name.setText(TYPED)

        # A colleague holds the row: the save blocks inside its transaction.
        with sql_guard.allow():
            locker = other.connect()
            locker.execute(text('SELECT 1 FROM "user" WHERE id = :id FOR UPDATE'), {"id": user_id})
        heartbeat.start()
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

        def blocked_save() -> int | None:
            with sql_guard.allow(), other.connect() as c:
                return c.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = :db"
                        " AND application_name LIKE 'Tenantry%' AND wait_event_type = 'Lock'"
                    ),
                    {"db": name_of_db},
                ).scalar()

        qtbot.waitUntil(lambda: blocked_save() is not None, timeout=10_000)
        pid = blocked_save()
        assert form.message.text() == "Saving…" and not form.save_button.isEnabled()

        # A DBA terminates the app's session while the save waits.
        started = time.monotonic()
        with sql_guard.allow(), other.connect() as dba:
            assert dba.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        qtbot.waitUntil(lambda: "Nothing was saved" in form.message.text(), timeout=10_000)
        reported_s = time.monotonic() - started
        assert "connection to the server was lost" in form.message.text()
        assert form.isVisible() and form.name.text() == TYPED
        assert form.save_button.isEnabled()
        shot(form, "terminated-save-form")
        with sql_guard.allow():
            locker.rollback()
            locker.close()
            with other.connect() as c:
                assert _snapshot(c, user_id) == before, "a failed save must change nothing"

        # Retry: the pool reconnects, the save goes through, audited once.
        with qtbot.waitSignal(form.saved, timeout=10_000):
            qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        heartbeat.stop()
        with sql_guard.allow(), other.connect() as c:
            assert _snapshot(c, user_id) == (TYPED, before[1] + 1)
        assert database.connection_lost is None
    finally:
        other.dispose()
    assert reported_s < 3, f"the failure must be reported at once, took {reported_s:.1f} s"
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nterminated backend: reported in {reported_s:.2f} s,", end=" ")
    print(f"longest GUI pause {heartbeat.max_gap() * 1000:.0f} ms")


STATEMENT_TIMEOUT_MS = 1500


def test_save_blocked_by_a_lock_hits_the_statement_timeout(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    pg_server: EmbeddedPostgres,
    seeded_url: str,
    sql_guard: GuiThreadGuard,
    heartbeat: Heartbeat,
) -> None:
    name_of_db = make_url(seeded_url).database
    assert name_of_db
    profile = Profile(
        name="limited",
        host="127.0.0.1",
        port=pg_server.running_port,
        database=name_of_db,
        user="postgres",
        sslmode="disable",
        statement_timeout=STATEMENT_TIMEOUT_MS,
    )
    with sql_guard.allow():
        database = open_profile(profile, None)
    other = create_engine(seeded_url)
    try:
        with sql_guard.allow(), other.connect() as c:
            user_id = int(
                c.execute(
                    text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id LIMIT 1')
                ).scalar_one()
            )
            before = _snapshot(c, user_id)
        form = UserForm(EditContext(database, runner, Actor("faults", "tester")), user_id)
        qtbot.addWidget(form)
        form.show()
        qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
        assert isinstance(form.name, QLineEdit)
        form.name.setText(TYPED)
        with sql_guard.allow():
            locker = other.connect()
            locker.execute(text('SELECT 1 FROM "user" WHERE id = :id FOR UPDATE'), {"id": user_id})
        heartbeat.start()
        started = time.monotonic()
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Nothing was saved" in form.message.text(), timeout=10_000)
        reported_s = time.monotonic() - started
        assert (
            f"The query ran longer than the statement timeout ({STATEMENT_TIMEOUT_MS:,} ms) "
            "and was cancelled." in form.message.text()
        )
        assert STATEMENT_TIMEOUT_MS / 1000 <= reported_s < STATEMENT_TIMEOUT_MS / 1000 + 1.5
        assert form.name.text() == TYPED and form.save_button.isEnabled()
        with sql_guard.allow():
            locker.rollback()
            locker.close()
            with other.connect() as c:
                assert _snapshot(c, user_id) == before
        with qtbot.waitSignal(form.saved, timeout=10_000):
            qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        heartbeat.stop()
        with sql_guard.allow(), other.connect() as c:
            assert _snapshot(c, user_id) == (TYPED, before[1] + 1)
    finally:
        other.dispose()
        database.dispose()
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nsave behind a lock: statement timeout reported after {reported_s:.2f} s")
