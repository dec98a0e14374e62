"""Paints table cells from one call into the model per cell (Qt's default asks ~8 roles)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desktop.ui.table_model import PagedTableModel

_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class CellDelegate(QStyledItemDelegate):
    """Text, alignment and the placeholder colour straight from `PagedTableModel.cell`."""

    def __init__(self, model: PagedTableModel) -> None:
        super().__init__(model)
        self._model = model

    def initStyleOption(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        text, right, loading = self._model.cell(index.row(), index.column())
        option.text = text
        option.features |= _HAS_DISPLAY
        option.displayAlignment = _RIGHT if right else _LEFT
        if loading:
            palette = option.palette
            palette.setColor(
                QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.PlaceholderText)
            )
            option.palette = palette
