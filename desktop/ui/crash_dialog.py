"""The crash dialog: what went wrong in one line, that the app keeps running, the details
(versions, traceback; secrets scrubbed) to copy into a bug report, and where the saved
report is. `desktop.ui.crash_handler` opens it; it is imported only then (or in the
background once the window shows), to keep it off start-up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core import crash


class CrashDialog(QDialog):
    """Shows one or more crash reports; non-modal, so the work behind it stays usable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setAccessibleName("Unexpected error")
        self.setWindowTitle("Tenantry: unexpected error")
        self.setModal(False)
        self.resize(720, 460)
        self.reports: list[crash.CrashReport] = []
        title = QLabel("Something went wrong", self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        self.heading = QLabel(self)
        self.heading.setObjectName("crashHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        explanation = QLabel(
            "This is a bug in Tenantry, not something you did wrong. Tenantry is still "
            "running: close this window and carry on; nothing you saved is affected. "
            "To report it, copy the details below (passwords and credentials are masked).",
            self,
        )
        explanation.setWordWrap(True)
        self.saved = QLabel(self)
        self.saved.setObjectName("crashSavedAt")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("crashDetails")
        self.details.setAccessibleName("Error details")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFont("monospace"))
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setObjectName("crashCopy")
        self.copy_button.setAccessibleName("Copy error details")
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.heading)
        layout.addWidget(explanation)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.saved)
        layout.addWidget(buttons)

    def add(self, report: crash.CrashReport) -> None:
        self.reports.append(report)
        count = len(self.reports)
        suffix = f" ({count} errors since this window opened)" if count > 1 else ""
        summary = report.summary if len(report.summary) <= 240 else report.summary[:239] + "…"
        self.heading.setText(f"{summary}{suffix}")
        self.details.setPlainText(self.text())
        where = [str(r.path) for r in self.reports if r.path is not None]
        self.saved.setText(
            "Saved to " + ", ".join(where) if where else "The report could not be saved."
        )

    def text(self) -> str:
        return "\n\n".join(report.details for report in self.reports)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
