"""The Migrations tab: where the database stands, actions with a SQL preview, log, drift."""

from __future__ import annotations

import html
import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.services import migration_plan, migration_run, migrations, schema_drift
from desktop.services.migrations import Action, MigrationStatus, Plan, RunResult
from desktop.services.schema_drift import DriftReport
from desktop.ui.drift_view import DriftView
from desktop.ui.migration_confirm import ConfirmMigrationDialog
from desktop.ui.migration_history_model import MigrationHistoryModel
from desktop.ui.migration_run_view import MigrationRunView
from desktop.ui.revision_chooser import RevisionChooser
from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.services.database import Database

log = logging.getLogger(__name__)

_PROBLEM_STYLE = "background: #fff4e5; color: #663c00; border: 1px solid #f0c36d; padding: 8px;"


class _Bridge(QObject):
    """Worker threads emit here; queued connections deliver on the GUI thread."""

    line = Signal(object)
    progress = Signal(object)


class MigrationsPanel(QWidget):
    #: The status was (re)loaded: MigrationStatus.
    status_loaded = Signal(object)
    #: A preview is ready and the confirmation dialog is open: Plan.
    plan_ready = Signal(object)
    #: A migration committed: RunResult.
    run_finished = Signal(object)
    #: A migration (or its preview) failed: message.
    run_failed = Signal(str)
    #: The drift list was filled: DriftReport.
    drift_loaded = Signal(object)

    def __init__(
        self, runner: Runner, parent: QWidget | None = None, *, scripts: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("migrationsPanel")
        self.setAccessibleName("Migrations")
        self._runner = runner
        self._scripts = scripts
        self.database: Database | None = None
        self.status: MigrationStatus | None = None
        self.confirm_dialog: ConfirmMigrationDialog | None = None
        self.chooser: RevisionChooser | None = None
        self._busy = False
        self._bridge = _Bridge(self)

        self.summary = QLabel("Not connected.", self)
        self.summary.setObjectName("migrationSummary")
        self.summary.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.where = QLabel(self)
        self.where.setObjectName("migrationWhere")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems = QLabel(self)
        self.problems.setObjectName("migrationProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(_PROBLEM_STYLE)
        self.problems.setVisible(False)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("refreshMigrationsButton")
        self.refresh_button.clicked.connect(self.refresh)

        self.model = MigrationHistoryModel(self)
        self.history = QTableView(self)
        self.history.setObjectName("migrationHistory")
        self.history.setAccessibleName("Revision history")
        self.history.setModel(self.model)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )

        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for key, text, slot in (
            ("upgrade_head", "Upgrade to head", partial(self.request, Action.UPGRADE)),
            ("upgrade_to", "Upgrade to…", partial(self.choose, Action.UPGRADE)),
            ("downgrade_step", "Downgrade one step", partial(self.request, Action.DOWNGRADE)),
            ("downgrade_to", "Downgrade to…", partial(self.choose, Action.DOWNGRADE)),
            ("stamp", "Stamp…", partial(self.choose, Action.STAMP)),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"{key}Button")
            button.clicked.connect(lambda _checked=False, s=slot: s())
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)
        self.action_hint = QLabel(self)
        self.action_hint.setObjectName("migrationActionHint")
        self.action_hint.setStyleSheet("color: #8c1d18;")
        self.action_hint.setWordWrap(True)

        self.run_view = MigrationRunView(self)
        self.drift = DriftView(self)
        self.drift.check_requested.connect(self.check_drift)
        run_box = QGroupBox("Run log", self)
        QVBoxLayout(run_box).addWidget(self.run_view)
        drift_box = QGroupBox("Drift: models vs. this database", self)
        QVBoxLayout(drift_box).addWidget(self.drift)
        bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(run_box)
        bottom.addWidget(drift_box)
        bottom.setChildrenCollapsible(False)

        stands = QGroupBox("Where this database stands", self)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        stands_layout = QVBoxLayout(stands)
        stands_layout.addLayout(top)
        stands_layout.addWidget(self.where)
        stands_layout.addWidget(self.problems)
        stands_layout.addWidget(self.history, 1)
        stands_layout.addLayout(actions)
        stands_layout.addWidget(self.action_hint)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(stands)
        split.addWidget(bottom)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self._bridge.line.connect(self.run_view.append)
        self._bridge.progress.connect(self._on_progress)
        self._update_actions()

    # -- keys for the runner (latest request wins, per panel) ---------------------------------

    def _key(self, what: str) -> str:
        return f"migrations:{what}:{id(self)}"

    # -- status ---------------------------------------------------------------------------

    def set_database(self, database: Database | None) -> None:
        self.database = database
        self.status = None
        self.model.set_history(())
        self.drift.clear()
        self.problems.setVisible(False)
        self.where.setText("")
        self.summary.setText("Loading…" if database is not None else "Not connected.")
        self._update_actions()
        if database is not None:
            self.refresh()

    def refresh(self) -> None:
        database = self.database
        if database is None:
            return
        self._runner.submit(
            partial(migrations.status, database, scripts=self._scripts),
            on_success=partial(self._on_status, database),
            on_failure=partial(self._on_status_failed, database),
            key=self._key("status"),
        )

    def _on_status(self, database: Database, status: MigrationStatus) -> None:
        if database is not self.database:
            return
        self.status = status
        self.summary.setText(status.summary)
        current = ", ".join(status.current) or "none (no revision applied)"
        heads = ", ".join(status.heads) or "none"
        self.where.setText(
            f"Database {status.database} · current revision: {current} · "
            f"head{'s' if len(status.heads) > 1 else ''} in this app: {heads}"
        )
        self.problems.setText("<br><br>".join("⚠ " + _esc(p) for p in status.problems))
        self.problems.setVisible(bool(status.problems))
        self.model.set_history(status.history)
        self._update_actions()
        self.status_loaded.emit(status)

    def _on_status_failed(self, database: Database, exc: BaseException) -> None:
        if database is not self.database:
            return
        self.summary.setText(f"Could not read the migration state: {_message(exc)}")
        self._update_actions()

    # -- actions ---------------------------------------------------------------------------

    def _refusals(self) -> dict[str, str]:
        """Why each action is unavailable right now ("" when it is available)."""
        database, status = self.database, self.status
        reason = ""
        if database is None:
            reason = "Not connected."
        elif database.info.read_only:
            reason = (
                f"Read-only connection: {database.label} refuses every write, so migrations "
                "are disabled. Connect with a read-write profile to migrate."
            )
        elif self._busy:
            reason = "A migration is being prepared or running."
        elif status is None:
            reason = "Reading where the database stands…"
        refusals = dict.fromkeys(self.buttons, reason)
        if reason or status is None:
            return refusals
        if status.unknown_current:
            unknown = "The database is at a revision this app does not know; only Stamp works."
            for key in ("upgrade_head", "upgrade_to", "downgrade_step", "downgrade_to"):
                refusals[key] = unknown
            return refusals
        if not status.pending:
            refusals["upgrade_head"] = refusals["upgrade_to"] = "Already at head: nothing pending."
        if not status.current:
            refusals["downgrade_step"] = refusals["downgrade_to"] = "No revision is applied."
        return refusals

    def _update_actions(self) -> None:
        refusals = self._refusals()
        tooltips = {
            "upgrade_head": "Apply every pending revision (shows the SQL first)",
            "upgrade_to": "Apply pending revisions up to one you choose",
            "downgrade_step": "Undo the current revision (shows the SQL first)",
            "downgrade_to": "Undo revisions down to one you choose",
            "stamp": "Record a revision in alembic_version without running any SQL",
        }
        for key, button in self.buttons.items():
            button.setEnabled(not refusals[key])
            button.setToolTip(refusals[key] or tooltips[key])
        ro = self.database is not None and self.database.info.read_only
        self.action_hint.setText(refusals["stamp"] if ro else "")
        self.action_hint.setVisible(ro)
        self.drift.check_button.setEnabled(self.database is not None)

    def choose(self, action: Action) -> None:
        if self.status is None:
            return
        self.chooser = RevisionChooser(action, self.status, self)
        self.chooser.accepted.connect(lambda: self._chosen())
        self.chooser.open()

    def _chosen(self) -> None:
        if self.chooser is not None:
            self.request(self.chooser.action, self.chooser.revision)

    def request(self, action: Action, target: str | None = None) -> None:
        """Prepare `action` (the preview runs in the background), then ask for confirmation."""
        database = self.database
        if database is None:
            return
        refusal = self._refusals()[_button_for(action, target)]
        if refusal:
            self._show_failure(refusal)
            return
        self._set_busy(True)
        self.run_view.step.setText("Preparing the SQL preview…")
        self._runner.submit(
            partial(migration_plan.plan, database, action, target, scripts=self._scripts),
            on_success=partial(self._on_plan, database),
            on_failure=self._on_plan_failed,
            key=self._key("plan"),
        )

    def _on_plan(self, database: Database, plan: Plan) -> None:
        self._set_busy(False)
        if database is not self.database:
            return
        self.run_view.step.setText(f"Review the preview of “{plan.title}”.")
        dialog = ConfirmMigrationDialog(plan, database, self)
        dialog.accepted.connect(lambda: self._run(plan, dialog.typed_name))
        self.confirm_dialog = dialog
        dialog.open()
        self.plan_ready.emit(plan)

    def _on_plan_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, migrations.NothingToDo):
            self.run_view.step.setText(exc.message)
            self.run_failed.emit(exc.message)
            return
        self._show_failure(_message(exc))

    def _run(self, plan: Plan, typed_name: str | None) -> None:
        database = self.database
        if database is None:
            return
        self._set_busy(True)
        self.run_view.start(plan.title, len(plan.steps))
        bridge = self._bridge
        job = partial(
            migration_run.run,
            database,
            plan,
            confirmation=typed_name,
            scripts=self._scripts,
            on_log=bridge.line.emit,
            on_progress=lambda done, total, what: bridge.progress.emit((done, total, what)),
        )
        self._runner.submit(
            job, on_success=self._on_run, on_failure=self._on_run_failed, key=self._key("run")
        )

    def _on_progress(self, message: tuple[int, int, str]) -> None:
        self.run_view.set_progress(*message)

    def _on_run(self, result: RunResult) -> None:
        self._set_busy(False)
        self.run_view.finish(True, result.summary)
        if self.drift.table.rowCount() or self.drift.summary.text() != "Not checked yet.":
            self.drift.clear("The schema changed since the last check: check again.")
        self.refresh()
        self.run_finished.emit(result)

    def _on_run_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show_failure(_message(exc))
        self.refresh()
        if not isinstance(exc, KnownError):  # a bug: the main window's crash dialog too
            log.error("Migration failed unexpectedly", exc_info=exc)
            self._runner.unhandled.emit(exc)

    def _show_failure(self, message: str) -> None:
        self.run_view.finish(False, message)
        self.run_failed.emit(message)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_actions()

    # -- drift -----------------------------------------------------------------------------

    def check_drift(self) -> None:
        database = self.database
        if database is None:
            return
        self.drift.show_checking()
        self._runner.submit(
            partial(schema_drift.check, database),
            on_success=partial(self._on_drift, database),
            on_failure=lambda exc: self.drift.show_error(_message(exc)),
            key=self._key("drift"),
        )

    def _on_drift(self, database: Database, report: DriftReport) -> None:
        if database is not self.database:
            return
        self.drift.show_report(report)
        self.drift_loaded.emit(report)


def _button_for(action: Action, target: str | None) -> str:
    if action is Action.UPGRADE:
        return "upgrade_head" if target is None else "upgrade_to"
    if action is Action.DOWNGRADE:
        return "downgrade_step" if target is None else "downgrade_to"
    return "stamp"


def _message(exc: BaseException) -> str:
    if isinstance(exc, KnownError):
        return exc.message
    return f"Unexpected error: {type(exc).__name__}: {exc}"


def _esc(value: str) -> str:
    return html.escape(value, quote=False)
