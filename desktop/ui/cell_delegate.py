"""Paints table cells from one call into the model per cell (Qt's default asks ~8 roles).

Qt's own `paint` draws the cell: a Python `paint` (background and elided text drawn
here) measured slower on a quiet machine (19 ms against 12 ms per repaint of a full page).

Most of a repaint is Qt shaping each cell's text (HarfBuzz). Text that needs no shaping
(no character from U+0300 on: no combining marks, no Arabic or Indic script) is drawn
with the view's font set to `PreferNoShaping`, which skips it: a full page repaints about
20 % faster. Only kerning differs, by a pixel here and there; other text keeps the
shaping font, so Arabic still joins and Devanagari still forms its clusters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.ui.table_model import PLACEHOLDER, PagedTableModel

_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_SHAPING = QFont.StyleStrategy.PreferDefault
_NO_SHAPING = QFont.StyleStrategy.PreferNoShaping
#: The first character that may need shaping (combining diacritical marks, then scripts
#: such as Arabic and Devanagari); below it, every character is one glyph as it is.
_SHAPING_FROM = "\u0300"
_SAMPLE = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ @.-_:…"
_WARM_UP_DELAY_MS = 200
_warmed_up = False


def warm_up_painting(font: QFont) -> None:
    """Pay the first text paint's one-off costs while idle: PySide creating the Python
    types behind QFont, QBrush and QGradient, and the glyph caches for `font` (~20-40 ms,
    otherwise added to the moment the first page of rows is shown)."""
    image = QImage(64, 16, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    try:
        for bold, strategy in itertools.product((False, True), (_SHAPING, _NO_SHAPING)):
            font.setBold(bold)
            font.setStyleStrategy(strategy)
            painter.setFont(font)
            painter.fillRect(QRect(0, 0, 64, 16), QPalette().brush(QPalette.ColorRole.Base))
            painter.drawText(QRect(0, 0, 64, 16), int(_LEFT.value), _SAMPLE)
    finally:
        painter.end()


class _FontChanges(QObject):
    """Calls `changed` when `widget`'s font changes. (Not the delegate's own event filter:
    Qt uses that one for its cell editors' keys.)"""

    def __init__(self, widget: QWidget, changed: Callable[[], None], owner: QObject) -> None:
        super().__init__(owner)  # goes (and stops watching) with its owner
        self._changed = changed
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.FontChange:
            self._changed()
        return False


class CellDelegate(QStyledItemDelegate):
    """Text, alignment and the placeholder colour straight from `PagedTableModel.cell_text`.

    Called once per visible cell on every paint, so it does the least it can: one text
    look-up, the alignment from a table built once, and the shaping-free font for text
    that needs no shaping (kept until `view`'s font changes).
    """

    def __init__(self, model: PagedTableModel, view: QAbstractItemView) -> None:
        super().__init__(model)
        self._model = model
        self._align = [_RIGHT if right else _LEFT for right in model.right_aligned()]
        self._plain_font: QFont | None = None
        self._font_watch = _FontChanges(view, self._forget_plain_font, self)
        global _warmed_up
        if not _warmed_up:
            _warmed_up = True
            QTimer.singleShot(_WARM_UP_DELAY_MS, lambda: warm_up_painting(QFont()))

    def _forget_plain_font(self) -> None:
        self._plain_font = None  # made again from the view's new font

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
            if text.isascii() or max(text) < _SHAPING_FROM:
                font = self._plain_font
                if font is None:
                    font = self._plain_font = QFont(option.font)  # the view's font
                    font.setStyleStrategy(_NO_SHAPING)
                option.font = font
            return
        if col != 0:  # a row still loading shows "…" in its first cell only
            option.text = ""
            return
        option.text = PLACEHOLDER
        palette = option.palette
        palette.setColor(QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.PlaceholderText))
        option.palette = palette
