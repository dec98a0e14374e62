"""Paints table cells from one call into the model per cell (Qt's default asks ~8 roles).

Qt's own `paint` draws the cell: a Python `paint` (background and elided text drawn
here) measured slower on a quiet machine (19 ms against 12 ms per repaint of a full page).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desktop.ui.table_model import PLACEHOLDER, PagedTableModel

_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_SAMPLE = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ @.-_:…"
_WARM_UP_DELAY_MS = 200
_warmed_up = False


def warm_up_painting(font: QFont) -> None:
    """Pay the first text paint's one-off costs while idle: PySide creating the Python
    types behind QFont, QBrush and QGradient, and the glyph cache for `font` (~20-40 ms,
    otherwise added to the moment the first page of rows is shown)."""
    image = QImage(64, 16, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    try:
        for bold in (False, True):
            font.setBold(bold)
            painter.setFont(font)
            painter.fillRect(QRect(0, 0, 64, 16), QPalette().brush(QPalette.ColorRole.Base))
            painter.drawText(QRect(0, 0, 64, 16), int(_LEFT.value), _SAMPLE)
    finally:
        painter.end()


class CellDelegate(QStyledItemDelegate):
    """Text, alignment and the placeholder colour straight from `PagedTableModel.cell_text`.

    Called once per visible cell on every paint, so it does the least it can: one text
    look-up, and the alignment from a table built once.
    """

    def __init__(self, model: PagedTableModel) -> None:
        super().__init__(model)
        self._model = model
        self._align = [_RIGHT if right else _LEFT for right in model.right_aligned()]
        global _warmed_up
        if not _warmed_up:
            _warmed_up = True
            QTimer.singleShot(_WARM_UP_DELAY_MS, lambda: warm_up_painting(QFont()))

    def initStyleOption(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        row, col = index.row(), index.column()
        text = self._model.cell_text(row, col)
        # Only "has text": the table view paints the alternate-row background itself.
        option.features = _HAS_DISPLAY
        option.displayAlignment = self._align[col]
        if text is not None:
            option.text = text
            return
        if col != 0:  # a row still loading shows "…" in its first cell only
            option.text = ""
            return
        option.text = PLACEHOLDER
        palette = option.palette
        palette.setColor(QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.PlaceholderText))
        option.palette = palette
