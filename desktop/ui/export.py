"""Export the current view to CSV or JSON in the background, with progress and Cancel.

The save dialog has the CSV option "Make formulas safe for spreadsheets" (on by default):
text cells starting with = + - @ (or a tab or carriage return) get a leading ', so that a
spreadsheet shows them instead of running them; numbers and dates are never changed.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from desktop.core.errors import Cancelled, KnownError
from desktop.core.ui_state import UiStateStore
from desktop.ui.runner import Runner
from desktop.ui.table_model import PagedTableModel

if TYPE_CHECKING:
    from desktop.services.export import ExportResult


class _Progress(QObject):
    """Carries row counts from the export thread to the GUI thread (queued signal)."""

    rows = Signal(object)


FORMULA_OPTION = "Make formulas safe for spreadsheets (CSV)"
FORMULA_HELP = (
    "Text cells that start with = + - @, a tab or a carriage return get a leading ' so that "
    "Excel, LibreOffice or Google Sheets show them as text instead of running them as "
    "formulas (OWASP's advice against CSV injection). Numbers, dates and plain numbers such "
    "as -5 are never changed. Untick to write every value exactly as stored, for a program "
    "that reads the file."
)


EXPORT_KEY = "export"


class ExportMemory:
    """Where the last export went and the formula option, shared by every view's panel
    and remembered across starts (in the window's state file, when one is given)."""

    def __init__(self, store: UiStateStore | None = None) -> None:
        self._store = store
        saved = store.window.get(EXPORT_KEY) if store is not None else None
        saved = saved if isinstance(saved, dict) else {}
        folder = saved.get("folder")
        self.folder = Path(folder) if isinstance(folder, str) and folder else None
        safe = saved.get("safe_formulas")
        self.safe_formulas = safe if isinstance(safe, bool) else True

    def start_folder(self) -> Path:
        """The last export's folder while it exists, else the user's documents folder."""
        if self.folder is not None and self.folder.is_dir():
            return self.folder
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        return Path(documents) if documents and Path(documents).is_dir() else Path.home()

    def chosen(self, path: Path, safe_formulas: bool) -> None:
        self.folder, self.safe_formulas = path.parent, safe_formulas
        if self._store is not None:
            self._store.window[EXPORT_KEY] = {
                "folder": str(self.folder),
                "safe_formulas": safe_formulas,
            }
            self._store.save()


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
        #: The folder and formula option (shared and remembered by the main window).
        self.memory = ExportMemory()
        #: What the view shows, for the file's name (the organization, set by its view).
        self.subject = ""
        model.state_changed.connect(self._forget_last_result)
        self._show_running(False)

    @property
    def safe_formulas(self) -> bool:
        """Neutralise formulas in CSV exports (the save dialog's check box; remembered)."""
        return self.memory.safe_formulas

    @safe_formulas.setter
    def safe_formulas(self, value: bool) -> None:
        self.memory.safe_formulas = value

    def suggested_path(self) -> Path:
        """Today's name for this view's export, in the folder the dialog starts in."""
        from desktop.services.export import suggested_name  # off the start-up path

        name = suggested_name(self.model.state, self.subject, date.today())
        return self.memory.start_folder() / name

    def _forget_last_result(self) -> None:
        # "Exported 146 rows to ..." was about the view as it was: not this one.
        if not self.running:
            self.label.clear()

    @property
    def running(self) -> bool:
        return self._task is not None

    def save_dialog(self) -> QFileDialog:
        """The save dialog, with the formula option under the file list (Qt's own dialog:
        a native one cannot hold an extra check box)."""
        dialog = QFileDialog(
            self,
            f"Export {self.model.spec.title.lower()}",
            str(self.suggested_path()),
            "CSV (*.csv);;JSON (*.json)",
        )
        dialog.setObjectName(f"{self.model.spec.name}ExportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        box = QCheckBox(FORMULA_OPTION, dialog)
        box.setObjectName("exportSafeFormulas")
        box.setAccessibleName(FORMULA_OPTION)
        box.setToolTip(FORMULA_HELP)
        box.setWhatsThis(FORMULA_HELP)
        box.setChecked(self.safe_formulas)
        layout = dialog.layout()
        if isinstance(layout, QGridLayout):
            layout.addWidget(box, layout.rowCount(), 0, 1, layout.columnCount())
        dialog.filterSelected.connect(lambda chosen: box.setEnabled("CSV" in chosen))
        return dialog

    def choose_and_export(self) -> None:
        dialog = self.save_dialog()
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return
        path = dialog.selectedFiles()[0]
        chosen = dialog.selectedNameFilter()
        box = dialog.findChild(QCheckBox, "exportSafeFormulas")
        safe = box.isChecked() if box is not None else self.safe_formulas
        self.memory.chosen(Path(path), safe)
        fmt = "json" if "JSON" in chosen or path.endswith(".json") else "csv"
        if fmt == "json" and path.endswith(".csv"):  # JSON chosen, the suggested name kept
            path = path[: -len(".csv")] + ".json"
        self.start(Path(path), fmt)

    def start(self, path: Path, fmt: str) -> None:
        """Export to `path` (CSV formulas made safe unless `safe_formulas` is off)."""
        database = self.model.database
        if database is None or self.running:
            return
        total = self.model.total.value
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.label.setText(f"Exporting {self.model.total.describe()} rows to {path.name}…")
        self._show_running(True)

        self._task = self.runner.submit(
            partial(
                database.export_view,
                self.model.state,
                path,
                fmt,
                self._relay.rows.emit,
                formulas="neutralise" if self.safe_formulas else "keep",
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
        message = (
            f"Exported {result.rows:,} {'row' if result.rows == 1 else 'rows'} to {result.path}"
        )
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
