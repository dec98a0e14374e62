"""The live side of a migration: progress (revision n of m), the log, and the result."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QProgressBar, QVBoxLayout, QWidget

_OK = "background: #e6f4ea; color: #1e4620; border: 1px solid #a8d5b1; padding: 6px;"
_FAILED = "background: #fdecea; color: #8c1d18; border: 1px solid #e6a5a0; padding: 6px;"


class MigrationRunView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("migrationRunView")
        self.step = QLabel("No migration run yet.", self)
        self.step.setObjectName("migrationStep")
        self.step.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("migrationProgress")
        self.progress.setAccessibleName("Migration progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("revision %v of %m")
        self.progress.setVisible(False)
        self.log = QPlainTextEdit(self)
        self.log.setObjectName("migrationLog")
        self.log.setAccessibleName("Migration log")
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("The log of the next migration appears here, line by line.")
        self.result = QLabel(self)
        self.result.setObjectName("migrationResult")
        self.result.setAccessibleName("Migration result")
        self.result.setWordWrap(True)
        self.result.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.step)
        layout.addWidget(self.progress)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.result)

    def start(self, title: str, total: int) -> None:
        self.log.clear()
        self.result.setVisible(False)
        self.step.setText(f"Running: {title}")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.progress.setVisible(True)

    def append(self, line: str) -> None:
        self.log.appendPlainText(line)

    def set_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if done < total:
            self.step.setText(f"Revision {done + 1} of {total}: {what}")
        else:
            self.step.setText(f"All {total} revision(s) done; committing…")

    def finish(self, ok: bool, message: str) -> None:
        self.progress.setVisible(ok)
        self.step.setText("Finished." if ok else "Failed: nothing was changed.")
        self.result.setText(("✔ " if ok else "✖ ") + message)
        self.result.setStyleSheet(_OK if ok else _FAILED)
        self.result.setVisible(True)

    def lines(self) -> list[str]:
        return self.log.toPlainText().splitlines()
