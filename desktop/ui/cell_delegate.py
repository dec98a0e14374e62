"""Paints table cells from one call into the model per cell (Qt's default asks ~8 roles).

`paint` draws the background and the elided text itself instead of going through the
style's item-view primitive (text layout, icon, check box and decoration passes): half the
cost of a repaint, which is what the user waits for once a page has arrived.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.ui.table_model import PagedTableModel

_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# Flag tests on plain ints: each `&` on a Qt flag enum costs a Python enum construction.
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate.value
_SELECTED = QStyle.StateFlag.State_Selected.value
_ACTIVE = QStyle.StateFlag.State_Active.value
_FOCUS = QStyle.StateFlag.State_HasFocus.value
_NO_BRUSH = Qt.BrushStyle.NoBrush
_ELIDE = Qt.TextElideMode.ElideRight
_PADDING = 4  # px each side, as the Fusion and Windows styles pad item text
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
    """Text, alignment and the placeholder colour straight from `PagedTableModel.cell`."""

    def __init__(self, model: PagedTableModel) -> None:
        super().__init__(model)
        self._model = model
        global _warmed_up
        if not _warmed_up:
            _warmed_up = True
            QTimer.singleShot(_WARM_UP_DELAY_MS, lambda: warm_up_painting(QFont()))

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

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        option = QStyleOptionViewItem(option)
        self.initStyleOption(option, index)
        rect, state, palette = option.rect, option.state.value, option.palette
        painter.save()
        if state & _SELECTED:
            group = QPalette.ColorGroup.Active if state & _ACTIVE else QPalette.ColorGroup.Inactive
            painter.fillRect(rect, palette.brush(group, QPalette.ColorRole.Highlight))
            painter.setPen(palette.color(group, QPalette.ColorRole.HighlightedText))
        else:
            if option.backgroundBrush.style() != _NO_BRUSH:
                painter.fillRect(rect, option.backgroundBrush)
            elif option.features.value & _ALTERNATE:
                painter.fillRect(rect, palette.brush(QPalette.ColorRole.AlternateBase))
            painter.setPen(palette.color(QPalette.ColorRole.Text))
        if option.text:
            box = rect.adjusted(_PADDING, 0, -_PADDING, 0)
            painter.setFont(option.font)
            text = option.fontMetrics.elidedText(option.text, _ELIDE, box.width())
            painter.drawText(box, option.displayAlignment, text)
        painter.restore()
        if state & _FOCUS:
            widget = option.widget
            style = widget.style() if widget is not None else None
            if style is not None:
                style.drawPrimitive(
                    QStyle.PrimitiveElement.PE_FrameFocusRect, option, painter, widget
                )
