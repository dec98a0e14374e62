"""The Migrations tab driven like a DBA would, on a real PostgreSQL (pytest-qt, offscreen)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import inspect, text

from desktop.db import migrate
from desktop.services import migration_plan, migration_run, migrations
from desktop.services.database import Database
from desktop.services.migrations import Action
from desktop.ui.main_window import MainWindow
from desktop.ui.migrations_panel import MigrationsPanel
from desktop.ui.runner import Runner

from .conftest import below_head

WAIT = 30_000
ALL = ("upgrade_head", "upgrade_to", "downgrade_step", "downgrade_to", "stamp")


def _revisions(db: Database) -> tuple[str, ...]:
    with db.engine.connect() as connection:
        return migrate.current_revisions(connection)


def _panel(qtbot, runner: Runner, db: Database, scripts: Path | None = None) -> MigrationsPanel:  # type: ignore[no-untyped-def]
    panel = MigrationsPanel(runner, scripts=scripts)
    qtbot.addWidget(panel)
    panel.resize(1200, 820)
    panel.show()
    with qtbot.waitSignal(panel.status_loaded, timeout=WAIT):
        panel.set_database(db)
    return panel


def _preview(qtbot, panel: MigrationsPanel, button: str) -> migrations.Plan:  # type: ignore[no-untyped-def]
    assert panel.buttons[button].isEnabled(), panel.buttons[button].toolTip()
    with qtbot.waitSignal(panel.plan_ready, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.buttons[button], Qt.MouseButton.LeftButton)
    assert panel.confirm_dialog is not None and panel.confirm_dialog.isVisible()
    return blocker.args[0]


def _confirm(qtbot, panel: MigrationsPanel) -> migrations.RunResult:  # type: ignore[no-untyped-def]
    dialog = panel.confirm_dialog
    assert dialog is not None
    results: list[migrations.RunResult] = []
    panel.run_finished.connect(results.append)
    with qtbot.waitSignals([panel.run_finished, panel.status_loaded], timeout=WAIT, order="strict"):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    panel.run_finished.disconnect(results.append)
    assert len(results) == 1
    return results[0]


def test_upgrade_downgrade_upgrade_from_the_panel(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, empty_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    panel = _panel(qtbot, runner, empty_db, make_scripts("two_steps"))
    assert panel.summary.text() == "Empty: no revision applied; 2 pending"
    assert not panel.buttons["downgrade_step"].isEnabled()
    assert panel.buttons["downgrade_step"].toolTip() == "No revision is applied."
    assert panel.model.rowCount() == 2

    plan = _preview(qtbot, panel, "upgrade_head")
    sql = panel.confirm_dialog.sql_view.toPlainText()  # type: ignore[union-attr]
    for table in ("organization", '"user"', "plugin"):
        assert f"CREATE TABLE {table}" in sql
    assert "ADD COLUMN note" in sql and plan.end == ("0002",)
    assert panel.confirm_dialog.sql_view.isReadOnly()  # type: ignore[union-attr]
    assert panel.confirm_dialog.sql_view.font().fixedPitch() or "mono" in (  # type: ignore[union-attr]
        panel.confirm_dialog.sql_view.font().family().lower()  # type: ignore[union-attr]
    )
    result = _confirm(qtbot, panel)
    assert result.after == ("0002",) == _revisions(empty_db)
    lines = panel.run_view.lines()
    assert any("Running upgrade  -> 0001" in line for line in lines), lines
    assert any("Running upgrade 0001 -> 0002" in line for line in lines), lines
    assert panel.run_view.progress.value() == 2 and panel.run_view.progress.maximum() == 2
    assert panel.run_view.result.text().startswith("✔ Upgrade to head: 2 step(s) applied")
    assert panel.summary.text().startswith("Up to date")
    assert not panel.buttons["upgrade_head"].isEnabled()

    plan = _preview(qtbot, panel, "downgrade_step")
    assert plan.target == "0001" and plan.drops_data
    dialog = panel.confirm_dialog
    assert dialog is not None and dialog.warnings.isVisible()
    assert "drops column organization.note" in dialog.warnings.text()
    assert dialog.run_button.text() == "Downgrade and drop data"
    _confirm(qtbot, panel)
    assert _revisions(empty_db) == ("0001",)
    assert panel.summary.text().startswith("At 0001")

    _preview(qtbot, panel, "upgrade_head")
    _confirm(qtbot, panel)
    assert _revisions(empty_db) == ("0002",)


def test_upgrade_to_a_revision_chosen_in_the_dialog(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, empty_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    panel = _panel(qtbot, runner, empty_db, make_scripts("two_steps"))
    qtbot.mouseClick(panel.buttons["upgrade_to"], Qt.MouseButton.LeftButton)
    chooser = panel.chooser
    assert chooser is not None and chooser.isVisible()
    assert [chooser.combo.itemData(i) for i in range(chooser.combo.count())] == ["0001", "0002"]
    chooser.combo.setCurrentIndex(0)
    with qtbot.waitSignal(panel.plan_ready, timeout=WAIT) as blocker:
        chooser.accept()
    assert blocker.args[0].end == ("0001",)
    _confirm(qtbot, panel)
    assert _revisions(empty_db) == ("0001",)


def test_a_failing_revision_changes_nothing_and_shows_the_error(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    panel = _panel(qtbot, runner, base_db, make_scripts("failing"))
    _preview(qtbot, panel, "upgrade_head")
    with qtbot.waitSignal(panel.run_failed, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.confirm_dialog.run_button, Qt.MouseButton.LeftButton)  # type: ignore[union-attr]
    message = blocker.args[0]
    assert "no_such_function_tenantry_test" in message and "rolled back" in message
    assert panel.run_view.result.isVisible()
    assert panel.run_view.result.text().startswith("✖ Upgrade 0001 → 0002")
    assert any(line.startswith("FAILED in Upgrade 0001 → 0002") for line in panel.run_view.lines())
    assert panel.run_view.lines()[-1] == "Rolled back. The database is still at 0001."
    assert _revisions(base_db) == ("0001",)
    with base_db.engine.connect() as connection:
        assert "half_done" not in inspect(connection).get_table_names()
    qtbot.waitUntil(lambda: panel.buttons["upgrade_head"].isEnabled(), timeout=WAIT)


def test_multiple_heads_are_shown_and_explained(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    panel = _panel(qtbot, runner, base_db, make_scripts("branches"))
    assert panel.problems.isVisible()
    assert "2 heads" in panel.problems.text() and "merge revision" in panel.problems.text()
    assert "heads in this app: 0002a, 0002b" in panel.where.text()


def test_an_unknown_revision_is_explained_and_only_stamp_is_offered(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    ahead = make_scripts("ahead")
    migration_run.run(
        base_db, migration_plan.plan(base_db, Action.UPGRADE, scripts=ahead), scripts=ahead
    )
    panel = _panel(qtbot, runner, base_db)  # the app's own scripts
    assert panel.summary.text() == "At an unknown revision: 9003"
    assert "ahead of the app's migration scripts" in panel.problems.text()
    for key in ("upgrade_head", "upgrade_to", "downgrade_step", "downgrade_to"):
        assert not panel.buttons[key].isEnabled()
        assert "does not know" in panel.buttons[key].toolTip()
    assert panel.buttons["stamp"].isEnabled()
    assert panel.model.index(0, 0).data() == "? unknown"


def test_drift_lists_a_manually_added_column(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, schema_db: Database
) -> None:
    with schema_db.engine.begin() as connection:
        connection.execute(text('ALTER TABLE "user" ADD COLUMN nickname text'))
    panel = _panel(qtbot, runner, schema_db)
    with qtbot.waitSignal(panel.drift_loaded, timeout=WAIT):
        qtbot.mouseClick(panel.drift.check_button, Qt.MouseButton.LeftButton)
    assert panel.drift.rows() == [
        (
            "Extra column",
            "user.nickname",
            "In the database (TEXT, NULL allowed) but not in the models.",
        )
    ]
    assert (
        panel.drift.summary.text()
        == f"1 difference between the models and {schema_db.info.database}."
    )


def test_a_read_only_database_cannot_start_any_action(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, schema_url: str, open_db: Callable[..., Database]
) -> None:
    db = open_db(schema_url, read_only=True)
    panel = _panel(qtbot, runner, db)
    revisions = len(list(migrate.script_directory().walk_revisions()))
    assert panel.model.rowCount() == revisions, "the panel still shows where the database stands"
    for key in ALL:
        assert not panel.buttons[key].isEnabled()
        assert panel.buttons[key].toolTip().startswith("Read-only connection")
    assert panel.action_hint.isVisible()
    for action, target in (
        (Action.UPGRADE, None),
        (Action.DOWNGRADE, None),
        (Action.STAMP, "0001"),
    ):
        with qtbot.waitSignal(panel.run_failed, timeout=WAIT) as blocker:
            panel.request(action, target)
        assert "Read-only connection" in blocker.args[0]
    assert panel.confirm_dialog is None
    assert _revisions(db) == tuple(migrate.head_revisions())
    with qtbot.waitSignal(panel.drift_loaded, timeout=WAIT):
        panel.check_drift()  # reading is fine


def test_production_requires_typing_the_database_name(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, schema_url: str, open_db: Callable[..., Database]
) -> None:
    db = open_db(schema_url, environment="production")
    panel = _panel(qtbot, runner, db)
    _preview(qtbot, panel, "downgrade_step")
    dialog = panel.confirm_dialog
    assert dialog is not None and dialog.name_edit is not None
    assert not dialog.run_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "tenantry")
    assert not dialog.run_button.isEnabled()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, db.info.database)
    assert dialog.run_button.isEnabled()
    _confirm(qtbot, panel)
    assert _revisions(db) == below_head()


def test_the_main_window_has_a_migrations_tab(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, schema_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Migrations" in titles
    with qtbot.waitSignal(window.migrations_panel.status_loaded, timeout=WAIT):
        window.set_database(schema_db)
    assert window.migrations_panel.database is schema_db
    assert window.migrations_panel.summary.text().startswith("Up to date")
    window.tabs.setCurrentWidget(window.migrations_tab)
    window.resize(1280, 860)
    window.show()
    out = Path(os.environ.get("TENANTRY_SCREENSHOTS", tmp_path))
    _save(window, out, "migrations-main-window.png")
    runner.wait()


def _save(widget, out: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    image = widget.grab()
    assert not image.isNull() and image.width() > 500
    assert image.save(str(out / name))


def test_render_the_panel(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    base_db: Database,
    empty_url: str,
    open_db: Callable[..., Database],
    make_scripts: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    """Screenshots (TENANTRY_SCREENSHOTS=dir keeps them): history, previews, drift, problems."""
    out = Path(os.environ.get("TENANTRY_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    panel = _panel(qtbot, runner, base_db, make_scripts("two_steps"))
    _preview(qtbot, panel, "upgrade_head")
    _confirm(qtbot, panel)
    with base_db.engine.begin() as connection:
        connection.execute(text('ALTER TABLE "user" ADD COLUMN nickname text'))
        connection.execute(text('ALTER TABLE "user" ALTER COLUMN status TYPE bigint'))
    with qtbot.waitSignal(panel.drift_loaded, timeout=WAIT):
        panel.check_drift()
    _preview(qtbot, panel, "downgrade_step")
    assert panel.confirm_dialog is not None
    _save(panel, out, "migrations-panel.png")
    _save(panel.confirm_dialog, out, "migrations-preview.png")
    panel.confirm_dialog.reject()

    production = open_db(empty_url, environment="production")
    prod_panel = _panel(qtbot, runner, production, make_scripts("branches"))
    _save(prod_panel, out, "migrations-multiple-heads.png")
    _preview(qtbot, prod_panel, "upgrade_head")
    assert prod_panel.confirm_dialog is not None
    _save(prod_panel.confirm_dialog, out, "migrations-preview-production.png")
    prod_panel.confirm_dialog.reject()

    read_only = _panel(qtbot, runner, open_db(empty_url, read_only=True), make_scripts("two_steps"))
    _save(read_only, out, "migrations-read-only.png")


def test_history_model_passes_qtmodeltester(  # type: ignore[no-untyped-def]
    qtbot, qtmodeltester, runner: Runner, base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    panel = _panel(qtbot, runner, base_db, make_scripts("branches"))
    assert panel.model.rowCount() == 3
    qtmodeltester.check(panel.model, force_py=True)
