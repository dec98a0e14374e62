"""Importing users from CSV: pick a file, see the dry run (good rows, bad lines), apply."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.services import csv_import
from desktop.ui.forms.base import ERROR_STYLE
from desktop.ui.forms.context import EditContext


def _plan(context: EditContext, org_id: int, path: Path) -> csv_import.ImportPlan:
    return csv_import.plan(context.database, org_id, csv_import.read_file(path))


class CsvImportDialog(QDialog):
    imported = Signal(int)

    def __init__(
        self, context: EditContext, organization: tuple[int, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("csvImportDialog")
        self.setAccessibleName("Import users from CSV")
        self.setWindowTitle(f"Import users into {organization[1]}")
        self.resize(720, 460)
        self.context = context
        self.org_id = organization[0]
        self.org_name = organization[1]
        self.plan: csv_import.ImportPlan | None = None
        self.path_label = QLabel(
            "Columns: name, email, and optionally status, is_system, firebase_id.", self
        )
        self.path_label.setObjectName("csvPath")
        self.path_label.setAccessibleName("CSV file")
        self.path_label.setWordWrap(True)
        choose = QPushButton("Choose file…", self)
        choose.setObjectName("csvChoose")
        choose.setAccessibleName("Choose CSV file")
        choose.clicked.connect(self.choose)
        self.summary = QLabel(self)
        self.summary.setObjectName("csvSummary")
        self.summary.setAccessibleName("Dry run summary")
        self.summary.setWordWrap(True)
        self.errors = QTableWidget(0, 2, self)
        self.errors.setObjectName("csvErrors")
        self.errors.setAccessibleName("Lines with problems")
        self.errors.setHorizontalHeaderLabels(["Line", "Problem"])
        self.errors.verticalHeader().setVisible(False)
        self.errors.horizontalHeader().setStretchLastSection(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button.setText("Import valid rows")
        self.apply_button.setObjectName("csvApply")
        self.apply_button.setAccessibleName("Import valid rows")
        self.apply_button.setEnabled(False)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("csvCancel")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(self.path_label, 1)
        top.addWidget(choose)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "CSV file", "", "CSV files (*.csv);;All (*)")
        if name:
            self.load(Path(name))

    def load(self, path: Path) -> None:
        self.path_label.setText(str(path))
        self.summary.setStyleSheet("")
        self.summary.setText("Checking every line (nothing is written yet)…")
        self.apply_button.setEnabled(False)
        self.context.runner.submit(
            partial(_plan, self.context, self.org_id, path),
            on_success=self._show_plan,
            on_failure=self._failed,
            key=f"csv:{id(self)}",
        )

    def _show_plan(self, plan: csv_import.ImportPlan) -> None:
        self.plan = plan
        self.summary.setStyleSheet("")
        self.summary.setText(
            f"Dry run: {len(plan.rows):,} rows are valid and will be imported; "
            f"{len(plan.errors):,} lines have problems and will be skipped."
        )
        self.errors.setRowCount(len(plan.errors))
        for row, (line, message) in enumerate(plan.errors):
            self.errors.setItem(row, 0, QTableWidgetItem(str(line)))
            self.errors.setItem(row, 1, QTableWidgetItem(message))
        self.errors.resizeColumnToContents(0)
        self.apply_button.setEnabled(bool(plan.rows) and not self.context.read_only)

    def apply(self) -> None:
        from desktop.ui.confirm import confirm_write

        if self.plan is None:
            return
        question = f"Import {len(self.plan.rows):,} users into {self.org_name}."
        if self.plan.errors:
            question += f" {len(self.plan.errors):,} lines with problems are skipped."
        if not confirm_write(self, self.context.database, question):
            return
        self.apply_button.setEnabled(False)
        self.context.runner.submit(
            partial(csv_import.apply, self.context.database, self.context.actor, self.plan),
            on_success=self._done,
            on_failure=self._failed,
        )

    def _done(self, count: int) -> None:
        self.imported.emit(count)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setText(f"Nothing was imported: {exc}")
        self.apply_button.setEnabled(self.plan is not None and bool(self.plan.rows))
