"""A known credential never reaches the grid, the clipboard, an export or a log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QGuiApplication

from desktop.core import paths
from desktop.core.view_state import ViewState
from desktop.services import plugins
from desktop.services.database import Database
from desktop.services.export import export_view
from desktop.services.writes import Actor
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

SECRET = "sk_live_canary_7d1f0c2e9b"


def test_a_credential_stays_out_of_grid_clipboard_export_and_logs(
    qtbot,
    db: Database,
    actor: Actor,
    tmp_path: Path,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    created = plugins.create(
        db,
        actor,
        {
            "organization_id": 1,
            "data_source": "stripe",
            "title": "Canary",
            "credentials": json.dumps({"api_key": SECRET}),
            "properties": "{}",
        },
    )
    plugins.update(db, actor, created.id, created.version, {"title": "Canary 2"})
    runner = Runner()
    try:
        window = MainWindow(runner)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
            window.set_database(db)
        tab = window.browse_tabs["plugins"]
        qtbot.waitUntil(lambda: tab.model.record(0) is not None, timeout=10_000)
        shown = [
            tab.model.index(r, c).data()
            for r in range(min(tab.model.rowCount(), 100))
            for c in range(tab.model.columnCount())
        ]
        assert shown and all(SECRET not in str(text) for text in shown)
        tab.view.selectAll()
        tab.view.selectionModel().select(
            tab.model.index(0, 0), QItemSelectionModel.SelectionFlag.Select
        )
        tab.copy_rows()
        assert "api_key" in QGuiApplication.clipboard().text()
        assert SECRET not in QGuiApplication.clipboard().text()
    finally:
        runner.shutdown()
    target = tmp_path / "plugins.csv"
    export_view(db.engine, ViewState("plugins"), target, "csv")
    assert "Canary 2" in target.read_text() and SECRET not in target.read_text()
    assert SECRET not in caplog.text
    for log_file in paths.log_dir().glob("*.log*"):
        assert SECRET not in log_file.read_text(errors="replace")
