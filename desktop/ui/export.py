"""Export the current view to CSV or JSON in the background, with progress and Cancel."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from desktop.core.errors import Cancelled, KnownError
from desktop.ui.runner import Runner
from desktop.ui.table_model import PagedTableModel

if TYPE_CHECKING:
    from desktop.services.export import ExportResult


class _Progress(QObject):
    """Carries row counts from the export thread to the GUI thread (queued signal)."""

    rows = Signal(object)


class ExportPanel(QWidget):
    """An Export button; while exporting, a progress bar and a Cancel button instead."""

    #: The export ended: (message for people, path or "" when nothing was written).
    finished = Signal(str, str)

    def __init__(
        self, model: PagedTableModel, runner: Runner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.runner = runner
        name = model.spec.name
        self.button = QPushButton("Export…", self)
        self.button.setObjectName(f"{name}Export")
        self.button.setToolTip("Export every row of this view (its search, filters and sort)")
        self.button.clicked.connect(self.choose_and_export)
        self.bar = QProgressBar(self)
        self.bar.setObjectName(f"{name}ExportProgress")
        self.bar.setAccessibleName("Export progress")
        self.bar.setMaximumWidth(220)
        self.bar.setFormat("%v rows")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName(f"{name}ExportCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.label = QLabel(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.cancel_button, self.button):
            layout.addWidget(widget)
        self._relay = _Progress(self)
        self._relay.rows.connect(self._on_rows)
        self._task: int | None = None
        self._show_running(False)

    @property
    def running(self) -> bool:
        return self._task is not None

    def choose_and_export(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            f"Export {self.model.spec.title.lower()}",
            f"{self.model.spec.name}.csv",
            "CSV (*.csv);;JSON (*.json)",
        )
        if path:
            self.start(Path(path), "json" if "JSON" in chosen or path.endswith(".json") else "csv")

    def start(self, path: Path, fmt: str) -> None:
        database = self.model.database
        if database is None or self.running:
            return
        total = self.model.total.value
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.label.setText(f"Exporting {self.model.total.describe()} rows to {path.name}…")
        self._show_running(True)
        from desktop.services import export  # deferred: off the start-up path

        self._task = self.runner.submit(
            partial(
                export.export_view,
                database.engine,
                self.model.state,
                path,
                fmt,
                self._relay.rows.emit,
            ),
            on_success=self._on_done,
            on_failure=self._on_failed,
            pool="net",
        )

    def cancel(self) -> None:
        """Stop the export; how it ended (cancelled, or finished just before) is reported."""
        if self._task is not None and self.runner.cancel_task(self._task):
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")

    def _on_rows(self, rows: int) -> None:
        if rows > self.bar.maximum():
            self.bar.setMaximum(rows)
        self.bar.setValue(rows)

    def _on_done(self, result: ExportResult) -> None:
        self._show_running(False)
        message = f"Exported {result.rows:,} rows to {result.path}"
        self.label.setText(message)
        self.finished.emit(message, str(result.path))

    def _on_failed(self, exc: BaseException) -> None:
        self._show_running(False)
        if isinstance(exc, Cancelled):
            message = "Export cancelled; no file was written."
            self.label.setText(message)
            self.finished.emit(message, "")
            return
        detail = exc.message if isinstance(exc, KnownError) else str(exc)
        message = f"Export failed: {detail}"
        self.label.setText(message)
        self.finished.emit(message, "")

    def _show_running(self, running: bool) -> None:
        if not running:
            self._task = None
        self.bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.button.setEnabled(not running)
