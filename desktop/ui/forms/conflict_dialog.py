"""Someone else changed the row: show both versions side by side; reload or overwrite."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.forms.base import ERROR_STYLE


class Resolution(Enum):
    RELOAD = "reload"
    OVERWRITE = "overwrite"
    CANCEL = "cancel"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class ConflictDialog(QDialog):
    def __init__(
        self,
        message: str,
        mine: dict[str, Any],
        theirs: dict[str, Any] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Changed by someone else")
        self.setAccessibleName("Conflict")
        self.resolution = Resolution.CANCEL
        heading = QLabel(message, self)
        heading.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
        heading.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        buttons = QDialogButtonBox(self)
        reload_button = QPushButton("Discard mine and reload", self)
        reload_button.setObjectName("reloadButton")
        reload_button.setAccessibleName("Discard my changes and reload")
        cancel = QPushButton("Keep editing", self)
        cancel.setObjectName("keepEditingButton")
        cancel.setAccessibleName("Keep editing")
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(reload_button, QDialogButtonBox.ButtonRole.ActionRole)
        reload_button.clicked.connect(lambda: self._done(Resolution.RELOAD))
        cancel.clicked.connect(lambda: self._done(Resolution.CANCEL))
        if theirs is None:
            layout.addWidget(QLabel("The row no longer exists in the database.", self))
        else:
            # Mine first, then what only the database row has (columns the grid does not show).
            keys = [*mine, *(k for k in theirs if k not in mine and k != "id")]
            table = QTableWidget(len(keys), 3, self)
            table.setObjectName("conflictTable")
            table.setAccessibleName("Your values and theirs")
            table.setHorizontalHeaderLabels(["Field", "Yours (not saved)", "In the database now"])
            table.verticalHeader().setVisible(False)
            any_differs = False
            for row, key in enumerate(keys):
                differs = key in mine and _text(mine.get(key)) != _text(theirs.get(key))
                any_differs = any_differs or differs
                yours = _text(mine.get(key)) if key in mine else "(not in the grid)"
                for column, value in enumerate((key, yours, _text(theirs.get(key)))):
                    item = QTableWidgetItem(value)
                    if differs and column:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                    table.setItem(row, column, item)
            table.resizeColumnsToContents()
            table.horizontalHeader().setStretchLastSection(True)
            layout.addWidget(table)
            if not any_differs:
                hidden = QLabel(
                    "None of the values you saw in the grid differs: someone changed a column"
                    " the grid does not show (such as a token or a secret), or wrote the same"
                    " values again.",
                    self,
                )
                hidden.setObjectName("conflictHiddenChange")
                hidden.setWordWrap(True)
                layout.addWidget(hidden)
            overwrite = QPushButton("Overwrite with mine", self)
            overwrite.setObjectName("overwriteButton")
            overwrite.setAccessibleName("Overwrite their change with mine")
            buttons.addButton(overwrite, QDialogButtonBox.ButtonRole.DestructiveRole)
            overwrite.clicked.connect(lambda: self._done(Resolution.OVERWRITE))
        layout.addWidget(buttons)
        self.resize(720, 420)

    def _done(self, resolution: Resolution) -> None:
        self.resolution = resolution
        self.accept() if resolution is not Resolution.CANCEL else self.reject()
