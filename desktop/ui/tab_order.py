"""Keyboard focus that follows what people read: Tab in reading order, no focus traps.

Qt's default tab order is the order widgets were created in, which drifts from the
layout as code changes (a form whose buttons are built before its fields starts on Save).
`apply_reading_order` sorts a window's focusable widgets into rows, top to bottom, and
each row left to right. `free_tab_key` stops tables from keeping Tab to walk their cells
(arrows do that; an open cell editor still moves on with Tab).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QTabBar,
    QWidget,
)

#: Parts Qt builds inside a compound widget (a combo's list, a spin box's editor, a line
#: edit's clear button, a tab bar's scroll arrows, a table's corner button or cell
#: editor): the compound widget carries the name.
COMPOUND = (QComboBox, QAbstractSpinBox, QLineEdit, QTabBar, QHeaderView, QAbstractItemView)


def focusable(root: QWidget) -> list[QWidget]:
    """Widgets under `root` that Tab can reach now (shown, enabled, accepting Tab focus),
    leaving out the parts of compound widgets (a combo's list, a spin box's editor)."""
    out = []
    for widget in root.findChildren(QWidget):
        if not widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value:
            continue
        if widget.window() is not root.window() or not widget.isVisibleTo(root):
            continue
        if widget.isEnabled() and not _inside_compound(widget):
            out.append(widget)
    return out


def _inside_compound(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        if isinstance(parent, COMPOUND):
            return True
        parent = parent.parentWidget()
    return False


def reading_order(root: QWidget) -> list[QWidget]:
    """`root`'s focusable widgets in rows (overlapping vertically), each row left to right."""
    boxes = []
    for widget in focusable(root):
        top_left = widget.mapTo(root, QPoint(0, 0))
        boxes.append((top_left.y(), top_left.y() + widget.height(), top_left.x(), widget))
    boxes.sort(key=lambda box: (box[0], box[2]))
    rows: list[list[tuple[int, int, int, QWidget]]] = []
    bottom = -1
    for box in boxes:
        if rows and box[0] < bottom - 2:  # overlaps the current row
            rows[-1].append(box)
            bottom = max(bottom, box[1])
        else:
            rows.append([box])
            bottom = box[1]
    return [box[3] for row in rows for box in sorted(row, key=lambda b: b[2])]


def apply_reading_order(root: QWidget, focus_first: bool = True) -> list[QWidget]:
    order = reading_order(root)
    for before, after in zip(order, order[1:], strict=False):
        QWidget.setTabOrder(before, after)
    if focus_first and order:
        order[0].setFocus(Qt.FocusReason.TabFocusReason)
    return order


def free_tab_key(root: QWidget) -> None:
    """Tab leaves every table under `root` instead of walking its cells."""
    for view in root.findChildren(QAbstractItemView):
        view.setTabKeyNavigation(False)
