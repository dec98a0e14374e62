"""Help > About: versions of the app, Qt, the server and the schema, copyable for bug reports."""

from __future__ import annotations

import platform
import sys
from functools import partial
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.services.database import Database


def _revision(database: Database) -> str:
    """Worker thread: the database's migration revision(s)."""
    from desktop.services.about import schema_revision

    return schema_revision(database)


class AboutDialog(QDialog):
    def __init__(
        self, runner: Runner, database: Database | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setAccessibleName("About Tenantry")
        self.setWindowTitle("About Tenantry")
        self.resize(560, 320)
        heading = QLabel(
            f"<b>Tenantry {__version__}</b><br>"
            "Admin client for the product's multi-tenant database.",
            self,
        )
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("aboutDetails")
        self.details.setAccessibleName("Version details")
        self.details.setReadOnly(True)
        copy = QPushButton("Copy", self)
        copy.setObjectName("aboutCopy")
        copy.setAccessibleName("Copy version details")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName("aboutClose")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self._lines = [
            f"Tenantry: {__version__}",
            f"Python: {platform.python_version()} ({sys.platform})",
            f"Qt: {qVersion()} (PySide6 {PySide6.__version__})",
        ]
        if database is None:
            self._lines.append("Database: not connected")
        else:
            info = database.info
            self._lines += [
                f"Database: {database.label} ({database.environment})",
                f"PostgreSQL server: {info.version}",
                "Schema revision: loading…",
            ]
            runner.submit(
                partial(_revision, database),
                on_success=self._show_revision,
                on_failure=lambda exc: self._show_revision(f"unknown ({exc})"),
            )
        self._render()

    def _show_revision(self, revision: str) -> None:
        self._lines[-1] = f"Schema revision: {revision}"
        self._render()

    def _render(self) -> None:
        self.details.setPlainText(self.text())

    def text(self) -> str:
        return "\n".join(self._lines)
