"""Grid cells with inline editing: staged cells tinted and bold, editors for text and status."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.core.user_status import UserStatus
from desktop.services.columns import Kind
from desktop.ui.cell_delegate import CellDelegate
from desktop.ui.table_model import PagedTableModel

AnyIndex = QModelIndex | QPersistentModelIndex

# (light, dark) tints: amber for "changed, not saved", red for "changed, cannot be saved".
STAGED = (QColor("#ffe9a8"), QColor("#6b5512"))
PROBLEM = (QColor("#f7c6c3"), QColor("#7a2420"))
PROBLEM_TEXT = (QColor("#8c1d18"), QColor("#ffd9d6"))


def _dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class InlineDelegate(CellDelegate):
    """The grid's delegate when inline editing is on (see desktop/ui/inline_editing.py)."""

    def __init__(self, model: PagedTableModel, view: QAbstractItemView) -> None:
        super().__init__(model, view)
        self._grid = model

    def initStyleOption(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        if not self._grid.has_staged:  # the usual case: nothing more to look up per cell
            return
        changed, problem = self._grid.staged_cell(index.row(), index.column())
        if not changed:
            return
        dark = int(_dark(option.palette))
        option.backgroundBrush = QBrush((PROBLEM if problem else STAGED)[dark])
        font = option.font
        font.setBold(True)
        option.font = font
        if problem:
            palette = option.palette
            palette.setColor(QPalette.ColorRole.Text, PROBLEM_TEXT[dark])
            option.palette = palette

    # -- editors ----------------------------------------------------------------------------

    def createEditor(  # noqa: N802 - Qt API
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        if self._grid.column_kind(index.column()) is Kind.STATUS:
            combo = QComboBox(parent)
            combo.setObjectName("inlineStatusEditor")
            combo.setAccessibleName("Status")
            for status in UserStatus:
                combo.addItem(status.label, int(status))
            return combo
        editor = QLineEdit(parent)
        editor.setObjectName("inlineTextEditor")
        title = self._grid.headerData(index.column(), Qt.Orientation.Horizontal)
        editor.setAccessibleName(str(title))
        editor.setFrame(False)
        return editor

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:  # noqa: N802 - Qt API
        value: Any = self._grid.edit_value(index.row(), index.column())
        if isinstance(editor, QComboBox):
            found = editor.findData(int(value) if value is not None else None)
            editor.setCurrentIndex(max(found, 0))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))

    def setModelData(  # noqa: N802 - Qt API
        self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex
    ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData())
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text())
