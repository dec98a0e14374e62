"""The app's icon set: monochrome SVGs in resources/icons, drawn in the palette's text colour.

Each SVG strokes with `currentColor`; when drawn, that becomes the palette's window-text
colour (its disabled colour for disabled actions), so the same files are legible on light
and dark. An icon is rendered lazily at the device pixel size asked for, so high-DPI
screens get sharp pixmaps (a 16 px icon at scale 2 is drawn at 32 px) and start-up pays
only for the icons on screen.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QToolButton

from desktop.core.resources import resources_dir

_CACHE_SIZE = 1024


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


@lru_cache(maxsize=256)
def _renderer(name: str, color: str) -> QSvgRenderer:
    renderer = QSvgRenderer(QByteArray(_source(name).replace("currentColor", color).encode()))
    if not renderer.isValid():
        raise ValueError(f"icon {name!r} is not a valid SVG")
    return renderer


@lru_cache(maxsize=_CACHE_SIZE)
def _pixmap(name: str, color: str, width: int, height: int, scale: float) -> QPixmap:
    image = QImage(
        max(1, round(width * scale)),
        max(1, round(height * scale)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _renderer(name, color).render(painter, QRectF(image.rect()))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(scale)
    return pixmap


def color_for(mode: QIcon.Mode, palette: QPalette | None = None) -> str:
    """The colour an icon is drawn in for `mode`, from `palette` (the application's)."""
    palette = palette or QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        color = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    elif mode == QIcon.Mode.Selected:
        color = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText)
    else:
        color = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    return color.name(QColor.NameFormat.HexRgb)


class SvgIconEngine(QIconEngine):
    """Draws one icon of the set at the exact device pixel size asked for, in the palette's
    colour at that moment (so a scheme change recolours it), caching what it drew."""

    def __init__(self, name: str, palette: QPalette | None = None) -> None:
        super().__init__()
        _source(name)  # fails now for an unknown name, not at paint time
        self.name = name
        self.palette = palette

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        _renderer(self.name, color_for(mode, self.palette)).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(  # noqa: N802 - Qt API
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        color = color_for(mode, self.palette)
        return _pixmap(self.name, color, size.width(), size.height(), scale)

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self.name, self.palette)

    def key(self) -> str:
        return "tenantry-svg"


def icon(name: str, palette: QPalette | None = None) -> QIcon:
    """Icon `name` in `palette`'s text colours (the application's palette when None)."""
    return QIcon(SvgIconEngine(name, palette))


def name_line_edit_button(action: QAction, name: str, accessible: str) -> None:
    """Give the button QLineEdit makes for `action` an object and an accessible name."""
    for widget in action.associatedObjects():
        if isinstance(widget, QToolButton):
            widget.setObjectName(name)
            widget.setAccessibleName(accessible)
            widget.setToolTip(action.toolTip())
