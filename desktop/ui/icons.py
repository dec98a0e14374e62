"""The app's icon set: monochrome SVGs in resources/icons, drawn in the palette's text colour.

Each SVG strokes with `currentColor`; at load time that becomes the palette's window-text
colour (and its disabled colour for disabled actions), so the same files are legible on
light and dark. Icons are rendered at several pixel sizes, so high-DPI screens get sharp
pixmaps (a 16 px icon at scale 2 uses the 32 px render).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QIcon,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QToolButton

from desktop.core.resources import resources_dir

SIZES = (16, 20, 24, 32, 40, 48, 64, 96)
_MODES = (
    (QIcon.Mode.Normal, QPalette.ColorGroup.Active),
    (QIcon.Mode.Active, QPalette.ColorGroup.Active),
    (QIcon.Mode.Selected, QPalette.ColorGroup.Active),
    (QIcon.Mode.Disabled, QPalette.ColorGroup.Disabled),
)


def icon_dir() -> Path:
    return resources_dir() / "icons"


def names() -> list[str]:
    """Every icon in the set, by name (the file name without .svg)."""
    return sorted(p.stem for p in icon_dir().glob("*.svg"))


@cache
def _source(name: str) -> str:
    path = icon_dir() / f"{name}.svg"
    if not path.is_file():
        raise KeyError(f"no icon named {name!r} in {icon_dir()}")
    return path.read_text(encoding="utf-8")


@cache
def _render(name: str, color: str, size: int) -> QImage:
    svg = _source(name).replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise ValueError(f"icon {name!r} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def icon(name: str, palette: QPalette | None = None) -> QIcon:
    """Icon `name` in `palette`'s text colours (the application's palette by default)."""
    palette = palette or QGuiApplication.palette()
    result = QIcon()
    for mode, group in _MODES:
        role = QPalette.ColorRole.WindowText
        if mode is QIcon.Mode.Selected:
            role = QPalette.ColorRole.HighlightedText
        color = palette.color(group, role)
        for size in SIZES:
            result.addPixmap(QPixmap.fromImage(_render(name, _hex(color), size)), mode)
    return result


def _hex(color: QColor) -> str:
    return color.name(QColor.NameFormat.HexRgb)


def name_line_edit_button(action: QAction, name: str, accessible: str) -> None:
    """Give the button QLineEdit makes for `action` an object and an accessible name."""
    for widget in action.associatedObjects():
        if isinstance(widget, QToolButton):
            widget.setObjectName(name)
            widget.setAccessibleName(accessible)
            widget.setToolTip(action.toolTip())
