"""The drift list: differences between the app's models and the connected schema."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.services.schema_drift import DriftReport


class DriftView(QWidget):
    #: The user asked for a check.
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("driftView")
        self.check_button = QPushButton("Check drift", self)
        self.check_button.setObjectName("checkDriftButton")
        self.check_button.setToolTip(
            "Compare the app's models with this database's tables, columns and indexes (reads only)"
        )
        self.check_button.clicked.connect(self.check_requested)
        self.summary = QLabel("Not checked yet.", self)
        self.summary.setObjectName("driftSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("driftTable")
        self.table.setAccessibleName("Drift differences")
        self.table.setHorizontalHeaderLabels(["Difference", "Where", "Details"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        top = QHBoxLayout()
        top.addWidget(self.check_button)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def show_checking(self) -> None:
        self.check_button.setEnabled(False)
        self.summary.setText("Comparing the models with the database…")

    def show_report(self, report: DriftReport) -> None:
        self.check_button.setEnabled(True)
        self.summary.setText(report.summary)
        self.summary.setStyleSheet("" if report.clean else "color: #8c1d18;")
        self.table.setRowCount(len(report.differences))
        for row, diff in enumerate(report.differences):
            for column, value in enumerate((diff.kind, diff.where, diff.detail)):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeRowsToContents()

    def show_error(self, message: str) -> None:
        self.check_button.setEnabled(True)
        self.summary.setText(f"Could not check drift: {message}")
        self.summary.setStyleSheet("color: #8c1d18;")

    def clear(self, reason: str = "Not checked yet.") -> None:
        self.table.setRowCount(0)
        self.summary.setText(reason)
        self.summary.setStyleSheet("")

    def rows(self) -> list[tuple[str, str, str]]:
        """What the list shows, row by row (kind, where, details)."""
        rows = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(3)]
            kind, where, detail = (cell.text() if cell is not None else "" for cell in cells)
            rows.append((kind, where, detail))
        return rows
