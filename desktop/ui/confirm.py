"""Asking before a write on production: the question shows what will change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from desktop.services.connect import confirmation_prompt

if TYPE_CHECKING:
    from desktop.services.database import Database


def confirm_write(parent: QWidget, database: Database, summary: str) -> bool:
    """True when the write may go ahead: not production, or the user said yes."""
    prompt = confirmation_prompt(database, summary)
    if prompt is None:
        return True
    box = QMessageBox(QMessageBox.Icon.Warning, "Change production?", prompt, parent=parent)
    box.setObjectName("confirmWrite")
    apply = box.addButton("Apply to production", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is apply


class DestructiveConfirmation(QDialog):
    """A change that cannot be undone, on production: the database's name must be typed."""

    def __init__(self, parent: QWidget | None, prompt: str, database_name: str) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDestructiveWrite")
        self.setAccessibleName("Confirm a change that cannot be undone")
        self.setWindowTitle("Change production for good?")
        self.setMinimumWidth(460)
        self.database_name = database_name
        question = prompt.removesuffix("\n\nApply this change?")
        text = QLabel(
            f"{question}\n\nThis cannot be undone. To go ahead, type the database's name "
            f"({database_name}):"
        )
        text.setObjectName("confirmDestructivePrompt")
        text.setWordWrap(True)
        self.typed = QLineEdit(self)
        self.typed.setObjectName("typedDatabaseName")
        self.typed.setAccessibleName("Type the database name to confirm")
        self.typed.setPlaceholderText(database_name)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.apply = self.buttons.addButton(
            "&Apply to production", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply.setObjectName("confirmDestructiveApply")
        self.apply.setEnabled(False)
        self.typed.textChanged.connect(
            lambda value: self.apply.setEnabled(value == self.database_name)
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.typed)
        layout.addWidget(self.buttons)


def confirm_destructive_write(parent: QWidget, database: Database, summary: str) -> bool:
    """Like confirm_write, for a change that cannot be undone: on production the user types
    the database's name."""
    prompt = confirmation_prompt(database, summary)
    if prompt is None:
        return True
    dialog = DestructiveConfirmation(parent, prompt, database.info.database)
    return dialog.exec() == QDialog.DialogCode.Accepted
