"""Light or dark: follows the system's colour scheme, or a choice (View menu, environment).

Qt 6.5+ reports the system scheme (`QStyleHints.colorScheme`) and its changes; for dark the
app uses the Fusion style with a dark palette, which looks the same on every platform
(offscreen and some X11 desktops report no scheme: they get the light look). The variable
TENANTRY_COLOR_SCHEME=dark|light|system overrides everything (tests, screenshots).
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

ENV = "TENANTRY_COLOR_SCHEME"
PREFERENCES = ("system", "light", "dark")
FUSION = "Fusion"

_G = QPalette.ColorGroup
_R = QPalette.ColorRole

_DARK = {
    _R.Window: "#2b2d30",
    _R.WindowText: "#e4e6eb",
    _R.Base: "#1e1f22",
    _R.AlternateBase: "#26282b",
    _R.ToolTipBase: "#3c3f44",
    _R.ToolTipText: "#e4e6eb",
    _R.PlaceholderText: "#8b9098",
    _R.Text: "#e4e6eb",
    _R.Button: "#373a3f",
    _R.ButtonText: "#e4e6eb",
    _R.BrightText: "#ff7b72",
    _R.Light: "#4a4e55",
    _R.Midlight: "#40444a",
    _R.Mid: "#2f3236",
    _R.Dark: "#1a1b1e",
    _R.Shadow: "#0d0d0f",
    _R.Highlight: "#2f6fd0",
    _R.HighlightedText: "#ffffff",
    _R.Link: "#7cb7ff",
    _R.LinkVisited: "#c39bff",
}
_DARK_DISABLED = {
    _R.WindowText: "#7c8088",
    _R.Text: "#7c8088",
    _R.ButtonText: "#7c8088",
    _R.Highlight: "#3d4350",
    _R.HighlightedText: "#a0a4ab",
}
_LIGHT = {
    _R.Window: "#f0f0f0",
    _R.WindowText: "#1b1b1b",
    _R.Base: "#ffffff",
    _R.AlternateBase: "#f5f6f8",
    _R.ToolTipBase: "#ffffdc",
    _R.ToolTipText: "#1b1b1b",
    _R.PlaceholderText: "#80848a",
    _R.Text: "#1b1b1b",
    _R.Button: "#f0f0f0",
    _R.ButtonText: "#1b1b1b",
    _R.BrightText: "#ffffff",
    _R.Light: "#ffffff",
    _R.Midlight: "#e3e3e3",
    _R.Mid: "#a0a0a0",
    _R.Dark: "#a0a0a0",
    _R.Shadow: "#696969",
    _R.Highlight: "#2f6fd0",
    _R.HighlightedText: "#ffffff",
    _R.Link: "#0b57d0",
    _R.LinkVisited: "#6b3fa0",
}
_LIGHT_DISABLED = {
    _R.WindowText: "#9a9a9a",
    _R.Text: "#9a9a9a",
    _R.ButtonText: "#9a9a9a",
    _R.Highlight: "#c8c8c8",
}


def _palette(
    colors: dict[QPalette.ColorRole, str], disabled: dict[QPalette.ColorRole, str]
) -> QPalette:
    palette = QPalette()
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role, color in disabled.items():
        palette.setColor(_G.Disabled, role, QColor(color))
    return palette


def dark_palette() -> QPalette:
    return _palette(_DARK, _DARK_DISABLED)


def light_palette() -> QPalette:
    return _palette(_LIGHT, _LIGHT_DISABLED)


def system_scheme() -> str:
    """ "dark" or "light" as the platform reports it (unknown counts as light)."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def env_preference() -> str | None:
    value = os.environ.get(ENV, "").strip().lower()
    if not value:
        return None
    if value not in PREFERENCES:
        log.warning("%s=%r is not one of %s; following the system", ENV, value, PREFERENCES)
        return None
    return value


def is_dark(palette: QPalette) -> bool:
    return palette.color(_R.Window).lightness() < 128


class Theme(QObject):
    """The app's scheme: `preference` is system/light/dark, `scheme` what is shown."""

    #: The scheme shown changed: "light" or "dark".
    changed = Signal(str)

    _instance: Theme | None = None

    def __init__(self, app: QApplication, preference: str | None = None) -> None:
        super().__init__(app)
        self.app = app
        style = app.style()
        self._native_style = style.name() if style is not None else FUSION
        self._native_palette = QPalette(app.palette())
        self._forced = env_preference()
        self.preference = self._forced or (preference if preference in PREFERENCES else "system")
        self.scheme = ""
        self._overridden = False  # the style and palette are ours, not the platform's
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme)
        Theme._instance = self
        self.apply()

    def _on_system_scheme(self, _scheme: Qt.ColorScheme) -> None:
        self.apply()

    @classmethod
    def instance(cls, app: QApplication | None = None) -> Theme:
        """The app's theme, installed on first use."""
        if cls._instance is None:
            current = app or QApplication.instance()
            assert isinstance(current, QApplication)
            cls._instance = cls(current)
        return cls._instance

    @property
    def forced_by_environment(self) -> bool:
        return self._forced is not None

    def set_preference(self, preference: str) -> None:
        if preference not in PREFERENCES:
            raise ValueError(preference)
        self.preference = preference
        self.apply()

    def resolved(self) -> str:
        return system_scheme() if self.preference == "system" else self.preference

    def apply(self) -> None:
        scheme = self.resolved()
        if self.preference == "system" and scheme == "light":
            if self._overridden:  # back to the platform's own look (native style and palette)
                self.app.setStyle(self._native_style)
                self.app.setPalette(self._native_palette)
                self._overridden = False
                self._repolish_styled()
        else:
            self.app.setStyle(FUSION)
            self.app.setPalette(dark_palette() if scheme == "dark" else light_palette())
            self._overridden = True
            self._repolish_styled()
        if scheme != self.scheme:
            self.scheme = scheme
            log.info("Colour scheme: %s (preference %s)", scheme, self.preference)
            self.changed.emit(scheme)

    def _repolish_styled(self) -> None:
        """Widgets with a style sheet keep the palette they were polished with: redo them."""
        for widget in self.app.allWidgets():
            sheet = widget.styleSheet()
            if sheet:
                widget.setStyleSheet("")
                widget.setPalette(QPalette())  # inherit the new application palette
                widget.setStyleSheet(sheet)


def install(app: QApplication, preference: str | None = None) -> Theme:
    """Start following the system (or `preference`, or the environment's choice)."""
    if Theme._instance is not None and Theme._instance.app is app:
        if preference and not Theme._instance.forced_by_environment:
            Theme._instance.set_preference(preference)
        return Theme._instance
    return Theme(app, preference)
