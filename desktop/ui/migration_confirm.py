"""Confirming a migration: what it does, its SQL (read-only), and the typed name for production."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.migrations import Action, Plan

if TYPE_CHECKING:
    from desktop.services.database import Database

_VERBS = {Action.UPGRADE: "Upgrade", Action.DOWNGRADE: "Downgrade", Action.STAMP: "Stamp"}


class ConfirmMigrationDialog(QDialog):
    """Shows a plan; accepted only by a deliberate click (and, in production, the typed name)."""

    def __init__(self, plan: Plan, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmMigrationDialog")
        self.setWindowTitle(f"{plan.title} — {database.label}")
        self.setAccessibleName("Confirm migration")
        self.plan = plan
        self._database_name = database.info.database
        self.resize(820, 620)

        heading = QLabel(
            f"<b>{_esc(plan.title)}</b> on <b>{_esc(plan.database)}</b> ({_esc(database.label)})",
            self,
        )
        heading.setObjectName("confirmHeading")
        start = ", ".join(plan.start) or "base (nothing applied)"
        end = ", ".join(plan.end) or "base (nothing applied)"
        count = len(plan.steps)
        what = (
            f"From <b>{_esc(start)}</b> to <b>{_esc(end)}</b> · {count} "
            f"step{'s' if count != 1 else ''}, run in one transaction: if any step fails, "
            "nothing is changed."
        )
        summary = QLabel(what, self)
        summary.setWordWrap(True)
        steps = QLabel("<br>".join(_esc(s.label) for s in plan.steps), self)
        steps.setObjectName("confirmSteps")
        steps.setWordWrap(True)

        self.warnings = QLabel(self)
        self.warnings.setObjectName("confirmWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setText("<br><br>".join("⚠ " + _esc(w) for w in plan.warnings))
        danger = plan.drops_data or plan.action is Action.STAMP
        self.warnings.setStyleSheet(
            "background: #fdecea; color: #8c1d18; border: 1px solid #e6a5a0; padding: 8px;"
            if danger
            else "background: #fff4e5; color: #663c00; border: 1px solid #f0c36d; padding: 8px;"
        )
        self.warnings.setVisible(bool(plan.warnings))

        sql_label = QLabel("SQL that will run (Alembic offline preview):", self)
        self.sql_view = QPlainTextEdit(self)
        self.sql_view.setObjectName("sqlPreview")
        self.sql_view.setAccessibleName("SQL preview")
        self.sql_view.setReadOnly(True)
        self.sql_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.sql_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.sql_view.setPlainText(plan.sql)

        layout = QVBoxLayout(self)
        for widget in (heading, summary, steps, self.warnings, sql_label, self.sql_view):
            layout.addWidget(widget)

        self.name_edit: QLineEdit | None = None
        buttons = QDialogButtonBox(self)
        verb = _VERBS[plan.action]
        self.run_button: QPushButton = buttons.addButton(
            f"{verb} and drop data" if plan.drops_data else verb,
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.run_button.setObjectName("confirmRunButton")
        self.run_button.setAutoDefault(False)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("confirmCancelButton")
        cancel.setDefault(True)
        if plan.needs_typed_name:
            prompt = QLabel(
                f"This is a <b>PRODUCTION</b> database. Type its name "
                f"<b>{_esc(self._database_name)}</b> to confirm:",
                self,
            )
            prompt.setStyleSheet("color: #8c1d18;")
            self.name_edit = QLineEdit(self)
            self.name_edit.setObjectName("confirmDatabaseName")
            self.name_edit.setAccessibleName("Type the database name to confirm")
            self.name_edit.setPlaceholderText("Type the database name here")
            self.name_edit.textChanged.connect(self._update_run_button)
            layout.addWidget(prompt)
            layout.addWidget(self.name_edit)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self._update_run_button()

    @property
    def typed_name(self) -> str | None:
        return self.name_edit.text().strip() if self.name_edit is not None else None

    def _update_run_button(self) -> None:
        if self.name_edit is None:
            self.run_button.setEnabled(True)
            return
        matches = self.typed_name == self._database_name
        self.run_button.setEnabled(matches)
        self.run_button.setToolTip("" if matches else "Type the database name first")


def _esc(value: str) -> str:
    return html.escape(value, quote=False)
