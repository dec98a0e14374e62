"""Deleting an organization: its impact first, typed confirmation on production, one transaction."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services import organizations
from desktop.services.organizations import DeleteImpact
from desktop.ui.forms.base import ERROR_STYLE
from desktop.ui.forms.context import EditContext


class OrganizationDeleteDialog(QDialog):
    deleted = Signal(int)

    def __init__(self, context: EditContext, org_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("organizationDeleteDialog")
        self.setAccessibleName("Delete organization")
        self.setWindowTitle("Delete organization")
        self.setMinimumWidth(480)
        self.context = context
        self.org_id = org_id
        self.impact: DeleteImpact | None = None
        self.summary = QLabel("Counting what would be deleted…", self)
        self.summary.setObjectName("deleteImpact")
        self.summary.setAccessibleName("What will be deleted")
        self.summary.setWordWrap(True)
        self.typed = QLineEdit(self)
        self.typed.setObjectName("typedName")
        self.typed.setAccessibleName("Type the organization's name to confirm")
        self.typed.setVisible(False)
        self.error = QLabel(self)
        self.error.setObjectName("deleteError")
        self.error.setAccessibleName("Delete error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Ok, self
        )
        self.delete_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.delete_button.setText("Delete everything listed")
        self.delete_button.setObjectName("confirmDeleteButton")
        self.delete_button.setAccessibleName("Delete everything listed")
        self.delete_button.setEnabled(False)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancelDeleteButton")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.confirm)
        self.buttons.rejected.connect(self.reject)
        self.typed.textChanged.connect(self._update_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.typed)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        context.runner.submit(
            partial(organizations.delete_impact, context.database, org_id),
            on_success=self._show_impact,
            on_failure=lambda exc: self.error.setText(str(exc)),
        )

    def _show_impact(self, impact: DeleteImpact) -> None:
        self.impact = impact
        statuses = ", ".join(f"{n:,} {s.lower()}" for s, n in impact.users_by_status.items())
        lines = [
            f"<b>Delete “{impact.organization.name}” (#{impact.organization.id})?</b>",
            f"• {impact.users:,} users are removed with it"
            + (f" ({statuses})" if statuses else ""),
            f"• {impact.plugins:,} plugins are deleted in the same transaction",
        ]
        if impact.system_users:
            lines.append(f"• including {impact.system_users:,} system users")
        lines.append("This cannot be undone from Tenantry.")
        if self.context.production:
            lines.append("<b>Production:</b> type the organization's name to confirm.")
            self.typed.setPlaceholderText(impact.organization.name)
            self.typed.setVisible(True)
        self.summary.setText("<br>".join(lines))
        self._update_button()

    def _update_button(self) -> None:
        ok = self.impact is not None and not self.context.read_only
        if ok and self.context.production:
            assert self.impact is not None
            ok = self.typed.text() == self.impact.organization.name
        self.delete_button.setEnabled(ok)

    def confirm(self) -> None:
        if self.impact is None:
            return
        self.delete_button.setEnabled(False)
        self.context.runner.submit(
            partial(
                organizations.delete,
                self.context.database,
                self.context.actor,
                self.org_id,
                self.impact.organization.version,
                typed_name=self.typed.text() or None,
                preview=self.impact,
                undo=self.context.undo,
            ),
            on_success=lambda _: self._done(),
            on_failure=self._failed,
        )

    def _done(self) -> None:
        self.deleted.emit(self.org_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, organizations.StalePreview):
            self._show_impact(exc.impact)  # the new figures, to confirm again
            self.error.setText(str(exc))
            return
        self.error.setText(f"Nothing was deleted: {exc}")
        self._update_button()
