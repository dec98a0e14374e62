"""Object and accessible names for interactive widgets: find gaps, and fill them from labels.

Screen readers announce a widget by its accessible name; UI automation finds it by its
object name. `name_from_labels` gives an unnamed widget the text people see next to it
(its form label, the label whose buddy it is, its own button text or placeholder) and
never invents one: whatever has no visible text must be named where it is built, and
`problems` reports it (tests/ui/test_accessibility.py walks every window and dialog).
"""

from __future__ import annotations

import re

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QSlider,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from desktop.ui.tab_order import COMPOUND

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QTextEdit,
    QPlainTextEdit,
    QAbstractItemView,
    QTabWidget,
    QSlider,
    QMenuBar,
)


def is_internal(widget: QWidget) -> bool:
    """Qt's own parts: named qt_..., a header, or anything inside a compound widget."""
    if widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView):
        return True
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        if isinstance(parent, COMPOUND) or parent.metaObject().className() == "QCalendarWidget":
            return True
        parent = parent.parentWidget()
    return False


def interactive_widgets(root: QWidget) -> list[QWidget]:
    """`root` and its descendants that people operate (shown or not), Qt's internals left out."""
    found: list[QWidget] = [root] if isinstance(root, INTERACTIVE) else []
    found += [
        w
        for w in root.findChildren(QWidget)
        if isinstance(w, INTERACTIVE) and not is_internal(w) and w.window() is root.window()
    ]
    return found


def spoken_name(widget: QWidget) -> str:
    """The name assistive technology gets: the accessible name when set; for a button (or
    a tab widget) what Qt derives from its own text; for an input or a list, the label
    whose buddy it is. A combo box's current value or a field's contents is not a name."""
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton | QTabWidget):
        interface = QAccessible.queryAccessibleInterface(widget)
        return interface.text(QAccessible.Text.Name) if interface is not None else ""
    for label in widget.window().findChildren(QLabel):
        if label.buddy() is widget and label.text():
            return _plain(label.text())
    return ""


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName()!r}, {spoken_name(widget)!r})"


def meaningful(name: str) -> bool:
    """A name with words in it (not empty, not punctuation, not an arrow or a ×)."""
    return bool(re.search(r"[A-Za-z]{2,}", name))


def problems(root: QWidget) -> list[str]:
    """Interactive widgets under `root` lacking an object name or a meaningful accessible name."""
    out = []
    for widget in interactive_widgets(root):
        missing = []
        if not widget.objectName():
            missing.append("objectName")
        if not meaningful(spoken_name(widget)):
            missing.append("accessibleName")
        if missing:
            out.append(f"{describe(widget)} in {_path(widget)}: no {' and no '.join(missing)}")
    return out


def _path(widget: QWidget) -> str:
    names: list[str] = []
    parent = widget.parentWidget()
    while parent is not None and len(names) < 4:
        names.append(parent.objectName() or type(parent).__name__)
        parent = parent.parentWidget()
    return " < ".join(names)


def visible_text(widget: QWidget) -> str:
    """What people read on or beside `widget`, or "" when there is nothing."""
    parent = widget.parentWidget()
    while parent is not None:
        layout = parent.layout()
        label = _form_label(layout, widget) if layout is not None else None
        if label:
            return label
        for buddy_label in parent.findChildren(QLabel):
            if buddy_label.buddy() is widget and buddy_label.text():
                return _plain(buddy_label.text())
        if parent.isWindow():
            break
        parent = parent.parentWidget()
    if isinstance(widget, QAbstractButton) and _plain(widget.text()):
        return _plain(widget.text())
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        return widget.placeholderText().rstrip("…. ")
    return widget.toolTip()


def _form_label(layout: object, widget: QWidget) -> str:
    if not isinstance(layout, QFormLayout):
        return ""
    for candidate in (widget, widget.parentWidget()):
        if candidate is None:
            continue
        label = layout.labelForField(candidate)
        if isinstance(label, QLabel) and label.text():
            return _plain(label.text())
    return ""


def _plain(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text).replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.strip().rstrip(":…").strip()


def object_name_for(widget: QWidget, text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)[:5]
    stem = words[0].lower() + "".join(w.capitalize() for w in words[1:]) if words else "widget"
    return stem + type(widget).__name__.removeprefix("Q")


def name_from_labels(root: QWidget) -> int:
    """Name every unnamed interactive widget under `root` from its visible text; returns
    how many names were given. Widgets without visible text are left for `problems`."""
    given = 0
    for widget in interactive_widgets(root):
        text = ""
        if not meaningful(spoken_name(widget)):
            text = visible_text(widget)
            if meaningful(text):
                widget.setAccessibleName(text)
                given += 1
        if not widget.objectName():
            text = text or spoken_name(widget) or visible_text(widget)
            if meaningful(text):
                widget.setObjectName(object_name_for(widget, text))
                given += 1
    return given
