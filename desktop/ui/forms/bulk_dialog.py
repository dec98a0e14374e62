"""Bulk changes to selected users: status, organization or delete, with progress and Cancel."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import Cancelled
from desktop.core.user_status import UserStatus
from desktop.services import bulk
from desktop.ui.forms.base import ERROR_STYLE
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.organization_picker import OrganizationPicker

ACTIONS = {
    "status": "Change status",
    "move": "Move to another organization",
    "delete": "Delete permanently",
}


class _Progress(QObject):
    changed = Signal(int, int)


class BulkDialog(QDialog):
    finished_ok = Signal(int)  # number of users changed
    #: What was done, in words ("Set the status of 12 users…; 38 Deleted users skipped").
    done_message = Signal(str)

    def __init__(
        self,
        context: EditContext,
        user_ids: list[int],
        action: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bulkDialog")
        self.setAccessibleName(ACTIONS[action])
        self.setWindowTitle(f"{ACTIONS[action]}: {len(user_ids):,} users")
        self.setMinimumWidth(480)
        self.context = context
        self.action = action
        self.selection: bulk.Selection | None = None
        self._cancel = threading.Event()
        self._running = False
        self.summary = QLabel("Checking the selected users…", self)
        self.summary.setObjectName("bulkSummary")
        self.summary.setAccessibleName("Selection summary")
        self.summary.setWordWrap(True)
        self.status = QComboBox(self)
        self.status.setObjectName("bulkStatus")
        self.status.setAccessibleName("New status")
        for value in UserStatus:
            self.status.addItem(value.label, value)
        self.organization = OrganizationPicker(context, self)
        self.organization.setObjectName("bulkOrganization")
        self.organization.setAccessibleName("Target organization")
        self.confirm_system = QCheckBox("Include system users (I am sure)", self)
        self.confirm_system.setObjectName("bulkConfirmSystem")
        self.confirm_system.setAccessibleName("Include system users")
        self.confirm_system.setVisible(False)
        self.include_deleted = QCheckBox(self)
        self.include_deleted.setObjectName("bulkIncludeDeleted")
        self.include_deleted.setAccessibleName("Also change the Deleted users")
        self.include_deleted.setVisible(False)
        self.include_deleted.toggled.connect(self._update_summary)
        self.status.currentIndexChanged.connect(self._update_summary)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("bulkProgress")
        self.progress.setAccessibleName("Progress")
        self.progress.setVisible(False)
        self.error = QLabel(self)
        self.error.setObjectName("bulkError")
        self.error.setAccessibleName("Bulk error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button.setText("Apply")
        self.apply_button.setObjectName("bulkApply")
        self.apply_button.setAccessibleName("Apply")
        self.apply_button.setEnabled(False)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("bulkCancel")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        if action == "status":
            layout.addWidget(self.status)
        if action == "move":
            layout.addWidget(self.organization)
        layout.addWidget(self.include_deleted)
        layout.addWidget(self.confirm_system)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._relay = _Progress(self)
        self._relay.changed.connect(self._on_progress)
        context.runner.submit(
            partial(bulk.snapshot, context.database, user_ids),
            on_success=self._show_selection,
            on_failure=lambda exc: self.error.setText(str(exc)),
        )

    def _show_selection(self, selection: bulk.Selection) -> None:
        self.selection = selection
        deleted = selection.by_status.get(UserStatus.DELETED.name, 0)
        self.include_deleted.setText(f"Also change the {deleted:,} Deleted users")
        self.confirm_system.setVisible(bool(selection.system_users))
        self._update_summary()

    def _status_change(self) -> bulk.StatusChange | None:
        if self.selection is None or self.action != "status":
            return None
        return self.selection.status_change(
            self.status.currentData(), self.include_deleted.isChecked()
        )

    def _update_summary(self) -> None:
        selection = self.selection
        if selection is None:
            return
        parts = ", ".join(
            f"{n:,} {UserStatus[s].label}" for s, n in sorted(selection.by_status.items())
        )
        text = f"{len(selection.versions):,} users selected ({parts})."
        if selection.missing:
            text += f" {selection.missing:,} no longer exist and are left out."
        if selection.system_users:
            text += f" {selection.system_users:,} are system users."
        change = self._status_change()
        deleted = selection.by_status.get(UserStatus.DELETED.name, 0)
        self.include_deleted.setVisible(
            change is not None and bool(deleted) and self.status.currentData() != UserStatus.DELETED
        )
        if change is not None:
            text += " " + change.describe(self.status.currentData())
        if self.action == "delete":
            text += " Deleting removes the rows for good; prefer status Deleted to keep them."
        self.summary.setText(text)
        changing = change.changing if change is not None else len(selection.versions)
        self.apply_button.setEnabled(not self.context.read_only and changing > 0)

    def _question(self) -> str:
        """The change in words and numbers, for the production confirmation."""
        assert self.selection is not None
        count = len(self.selection.versions)
        change = self._status_change()
        if change is not None:
            return change.describe(self.status.currentData())
        if self.action == "move":
            return f"Move {count:,} users to {self.organization.text()}."
        parts = ", ".join(
            f"{n:,} {UserStatus[s].label}" for s, n in sorted(self.selection.by_status.items())
        )
        return f"Permanently delete {count:,} users ({parts})."

    def apply(self) -> None:
        if self.selection is None or self._running:
            return
        kwargs: dict[str, Any] = {
            "progress": lambda done, total: self._relay.changed.emit(done, total),
            "cancelled": self._cancel.is_set,
        }
        db, actor, seen = self.context.database, self.context.actor, self.selection.versions
        confirm = self.confirm_system.isChecked()
        if self.action == "move" and self.organization.organization_id is None:
            self.error.setText("Choose the organization to move the users to.")
            return
        from desktop.ui.confirm import confirm_destructive_write, confirm_write

        ask = confirm_destructive_write if self.action == "delete" else confirm_write
        if not ask(self, db, self._question()):
            return
        if self.action == "status":
            job = partial(
                bulk.set_status,
                db,
                actor,
                seen,
                self.status.currentData(),
                confirm_system=confirm,
                undo=self.context.undo,
                include_deleted=self.include_deleted.isChecked(),
                **kwargs,
            )
        elif self.action == "move":
            assert self.organization.organization_id is not None
            job = partial(
                bulk.move,
                db,
                actor,
                seen,
                self.organization.organization_id,
                confirm_system=confirm,
                undo=self.context.undo,
                **kwargs,
            )
        else:
            job = partial(
                bulk.hard_delete,
                db,
                actor,
                seen,
                allow_system=confirm,
                undo=self.context.undo,
                **kwargs,
            )
        self._running = True
        self.apply_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, len(seen))
        self.error.clear()
        self.context.runner.submit(job, on_success=self._done, on_failure=self._failed)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def cancel(self) -> None:
        if self._running:
            self._cancel.set()  # the worker stops between chunks and rolls everything back
            return
        self.reject()

    def _done(self, result: bulk.BulkResult) -> None:
        self._running = False
        verb = {"status": "Changed the status of", "move": "Moved", "delete": "Deleted"}
        text = f"{verb[self.action]} {len(result.versions):,} users."
        if result.skipped.get("deleted"):
            text += f" {result.skipped['deleted']:,} Deleted users were skipped."
        if result.skipped.get("unchanged"):
            text += f" {result.skipped['unchanged']:,} already had that status."
        self.done_message.emit(text)
        self.finished_ok.emit(len(result.versions))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.progress.setVisible(False)
        if isinstance(exc, Cancelled):
            self.error.setText("Cancelled: nothing was changed.")
            self._cancel.clear()
        else:
            self.error.setText(f"Nothing was changed: {exc}")
        self.apply_button.setEnabled(True)
