"""The revision history as a table: each revision marked applied, pending or unknown."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.services.migrations import Revision, RevisionState

AnyIndex = QModelIndex | QPersistentModelIndex
RevisionRole = Qt.ItemDataRole.UserRole + 1  # the Revision dataclass

STATE, REVISION, MESSAGE, CREATED, PARENTS, NOTES = range(6)
HEADERS = ("State", "Revision", "Message", "Created", "Parents", "")

_MARKS = {
    RevisionState.APPLIED: ("✔ applied", "#2e7d32"),
    RevisionState.PENDING: ("○ pending", "#b26a00"),
    RevisionState.UNKNOWN: ("? unknown", "#6d6d6d"),
}


class MigrationHistoryModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Revision, ...] = ()

    def set_history(self, history: tuple[Revision, ...]) -> None:
        self.beginResetModel()
        self._rows = history
        self.endResetModel()

    def revision_at(self, row: int) -> Revision:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        rev = self._rows[index.row()]
        column = index.column()
        if role == RevisionRole:
            return rev
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(rev, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATE:
            return QBrush(QColor(_MARKS[rev.state][1]))
        if role == Qt.ItemDataRole.FontRole and rev.is_current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{rev.revision}: {rev.message}" + (
                " (the database is here)" if rev.is_current else ""
            )
        return None

    @staticmethod
    def _text(rev: Revision, column: int) -> str:
        if column == STATE:
            return _MARKS[rev.state][0]
        if column == REVISION:
            return rev.revision
        if column == MESSAGE:
            return rev.message
        if column == CREATED:
            return rev.date
        if column == PARENTS:
            return ", ".join(rev.parents) or "(base)"
        notes = []
        if rev.is_current:
            notes.append("◀ database is here")
        if rev.is_head:
            notes.append("head")
        return " · ".join(notes)
