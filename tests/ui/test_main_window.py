"""The main window on a real database: all three tables show rows, models are valid."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.services.database import Database
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner
from desktop.ui.table_model import PAGE_SIZE, RowRole


@pytest.fixture
def window(qtbot, runner: Runner, database: Database) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(runner)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.first_pages_loaded, timeout=20_000):
        win.set_database(database)
    return win


def test_all_three_tables_show_rows(window: MainWindow) -> None:
    for name, model in window.models.items():
        assert model.rowCount() > 0, name
        first = model.index(0, 0)
        assert first.data(Qt.ItemDataRole.DisplayRole), name
    users = window.models["users"]
    row = users.index(0, 0).data(RowRole)
    assert "@" in row[2]
    assert window.database is not None
    assert "Development" in window.connection_label.text()
    assert "Test database" in window.windowTitle()


def test_scrolling_to_the_bottom_fills_the_last_rows(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    users = window.models["users"]
    assert users.rowCount() == users.total.value > PAGE_SIZE
    assert users.cached_blocks() == 1
    window.tabs.setCurrentWidget(window.browse_tabs["users"])
    view = window.browse_tabs["users"].view
    view.scrollToBottom()
    last = users.rowCount() - 1
    qtbot.waitUntil(lambda: users.index(last, 0).data(RowRole) is not None, timeout=10_000)
    ids = [users.index(r, 0).data(RowRole)[0] for r in range(last - 20, last + 1)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert users.cached_blocks() <= 3  # the first block and the tail, not everything between


def test_plugin_credentials_are_never_in_the_grid(window: MainWindow, database: Database) -> None:
    from sqlalchemy import text

    with database.engine.connect() as c:
        secrets = [
            v for (v,) in c.execute(text("SELECT value FROM plugin, json_each_text(credentials)"))
        ]
    plugins = window.models["plugins"]
    shown = {
        plugins.index(r, c).data()
        for r in range(plugins.rowCount())
        for c in range(plugins.columnCount())
    }
    raw = {str(v) for r in range(plugins.rowCount()) for v in plugins.index(r, 0).data(RowRole)}
    for secret in secrets:
        assert all(secret not in text for text in shown)
        assert all(secret not in text for text in raw)


@pytest.mark.parametrize("name", ["organizations", "users", "plugins"])
def test_models_pass_qtmodeltester(qtmodeltester, window: MainWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(window.models[name], force_py=True)


def test_a_failing_load_is_shown_not_lost(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    from desktop.services.database import ServerInfo

    win = MainWindow(runner)
    qtbot.addWidget(win)
    dead = Database(
        engine=create_engine(
            "postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
        ),
        label="Gone",
        environment="production",
        info=ServerInfo(version="18", user="nobody", database="none", read_only=True),
    )
    with qtbot.waitSignal(win.error_shown, timeout=15_000) as blocker:
        win.set_database(dead)
    assert "Could not load" in blocker.args[0]
    assert "PRODUCTION" in win.banner.text()
    dead.dispose()
