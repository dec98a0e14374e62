"""Asking before a write on production: the question shows what will change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

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
