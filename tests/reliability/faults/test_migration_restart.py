"""The server restarts while a migration runs: the database stays at a known revision."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from gui_thread_guard import GuiThreadGuard
from PySide6.QtCore import Qt
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from desktop.db import migrate
from desktop.services.database import Database, open_database
from desktop.ui.migrations_panel import MigrationsPanel
from desktop.ui.runner import Runner

from .conftest import MAX_GUI_GAP_S, Heartbeat, PrivateServer, shot, wait_thread

HERE = Path(__file__).resolve().parent
BASE = "0001"
WAIT = 30_000


@pytest.fixture
def slow_scripts(tmp_path: Path) -> Path:
    """The app's scripts cut back to 0001, plus a test-only 0002 that sleeps for a minute."""
    target = tmp_path / "scripts_slow"

    def ignore(folder: str, names: list[str]) -> list[str]:
        skipped = [n for n in names if n == "__pycache__" or n.endswith(".pyc")]
        if Path(folder).name == "versions":
            skipped += [n for n in names if n[:4].isdigit() and not n.startswith(BASE)]
        return skipped

    shutil.copytree(migrate.script_location(), target, ignore=ignore)
    shutil.copy(HERE / "migration_scripts" / "slow" / "0002_sleeps.py", target / "versions")
    return target


@pytest.fixture
def base_db(private_server: PrivateServer) -> Iterator[Database]:
    admin = create_engine(private_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE migrating"))
    admin.dispose()
    db = open_database(private_server.url("migrating"), label="Migrating", environment="staging")
    with db.engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), BASE)
    yield db
    db.dispose()


def _revisions(url: str) -> tuple[tuple[str, ...], set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("organization")}
            return migrate.current_revisions(connection), columns
    finally:
        engine.dispose()


def test_server_restart_during_a_migration(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    private_server: PrivateServer,
    base_db: Database,
    slow_scripts: Path,
    sql_guard: GuiThreadGuard,
    heartbeat: Heartbeat,
) -> None:
    panel = MigrationsPanel(runner, scripts=slow_scripts)
    qtbot.addWidget(panel)
    panel.resize(1200, 820)
    panel.show()
    with qtbot.waitSignal(panel.status_loaded, timeout=WAIT):
        panel.set_database(base_db)
    with qtbot.waitSignal(panel.plan_ready, timeout=WAIT):
        qtbot.mouseClick(panel.buttons["upgrade_head"], Qt.MouseButton.LeftButton)
    dialog = panel.confirm_dialog
    assert dialog is not None
    heartbeat.start()
    failures: list[str] = []
    panel.run_failed.connect(failures.append)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)

    admin = create_engine(private_server.url("postgres"))

    def sleeping() -> bool:
        with sql_guard.allow(), admin.connect() as c:
            return bool(
                c.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'migrating'"
                        " AND query LIKE '%pg_sleep(60)%' AND state = 'active'"
                    )
                ).scalar()
            )

    try:
        qtbot.waitUntil(sleeping, timeout=WAIT)
    finally:
        admin.dispose()
    qtbot.waitUntil(lambda: any("slow_note" in line for line in panel.run_view.lines()))

    # The server restarts in the middle of the migration's transaction.
    started = time.monotonic()

    def restart() -> None:
        private_server.stop()
        private_server.start()

    wait_thread(qtbot, private_server.in_background(restart))
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    reported_s = time.monotonic() - started
    message = failures[0]
    assert "Upgrade 0001 → 0002" in message
    assert "connection to the server was lost" in message
    assert "rolled back" in message
    assert panel.run_view.result.text().startswith("✖ Upgrade 0001 → 0002")
    last = panel.run_view.lines()[-1]
    assert last.startswith("Rolled back. The database") and "0001" in last, last
    with sql_guard.allow():
        revisions, columns = _revisions(private_server.url("migrating"))
    assert revisions == (BASE,)
    shot(panel, "migration-restart-panel")
    assert "slow_note" not in columns, "the half-run migration must leave nothing behind"

    # The panel reads where the database stands: still 0001, the upgrade offered again.
    with qtbot.waitSignal(panel.status_loaded, timeout=WAIT):
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    heartbeat.stop()
    assert "current revision: 0001" in panel.where.text()
    qtbot.waitUntil(lambda: panel.buttons["upgrade_head"].isEnabled(), timeout=WAIT)
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nmigration interrupted by a restart: reported {reported_s:.2f} s after the stop")


@pytest.fixture
def shared_base_db(empty_url: str) -> Iterator[Database]:
    """A database at 0001 on the shared server (its session is terminated, not the server)."""
    db = open_database(empty_url, label="Migrating", environment="staging")
    with db.engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), BASE)
    yield db
    db.dispose()


def test_session_terminated_before_the_first_step(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    empty_url: str,
    shared_base_db: Database,
    slow_scripts: Path,
    sql_guard: GuiThreadGuard,
    heartbeat: Heartbeat,
) -> None:
    """Lost outside a revision script (here: reading alembic_version): still a clear failure."""
    panel = MigrationsPanel(runner, scripts=slow_scripts)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.status_loaded, timeout=WAIT):
        panel.set_database(shared_base_db)
    with qtbot.waitSignal(panel.plan_ready, timeout=WAIT):
        qtbot.mouseClick(panel.buttons["upgrade_head"], Qt.MouseButton.LeftButton)
    dialog = panel.confirm_dialog
    assert dialog is not None
    name = make_url(empty_url).database
    other = create_engine(empty_url)
    try:
        with sql_guard.allow():
            holder = other.connect()
            holder.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        heartbeat.start()
        failures: list[str] = []
        panel.run_failed.connect(failures.append)
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)

        def waiting() -> int | None:
            with sql_guard.allow(), other.connect() as c:
                return c.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = :db"
                        " AND wait_event_type = 'Lock' AND application_name LIKE 'Tenantry%'"
                    ),
                    {"db": name},
                ).scalar()

        qtbot.waitUntil(lambda: waiting() is not None, timeout=WAIT)
        with sql_guard.allow(), other.connect() as dba:
            dba.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting()})
        qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
        message = failures[0]
        assert message.startswith("The connection was lost during “Upgrade"), message
        assert "press Refresh to see which revision" in message
        with sql_guard.allow():
            holder.rollback()
            holder.close()
        with qtbot.waitSignal(panel.status_loaded, timeout=WAIT):
            qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
        heartbeat.stop()
        assert "current revision: 0001" in panel.where.text()
        qtbot.waitUntil(lambda: panel.buttons["upgrade_head"].isEnabled(), timeout=WAIT)
    finally:
        other.dispose()
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
