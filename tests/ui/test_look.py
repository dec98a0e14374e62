"""The look: the icon set loads and follows the palette, dark and light schemes, empty states."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage
from PySide6.QtWidgets import QApplication

from desktop.services.database import Database
from desktop.ui import icons, theme
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

EXPECTED_ICONS = {
    "refresh",
    "new",
    "edit",
    "delete",
    "undo",
    "search",
    "export",
    "connect",
    "migrations",
    "firebase",
    "organization",
    "user",
    "plugin",
}


@pytest.fixture
def scheme(qapp: QApplication) -> Iterator[theme.Theme]:
    """The app's theme, put back to the system scheme after the test."""
    current = theme.Theme.instance(qapp)
    yield current
    current.set_preference("system")


def _ink(image: QImage) -> tuple[int, float]:
    """How many pixels an icon paints, and their mean lightness (0-255)."""
    count, total = 0, 0
    for y in range(image.height()):
        for x in range(image.width()):
            color = QColor.fromRgba(image.pixel(x, y))
            if color.alpha() > 200:
                count += 1
                total += color.lightness()
    return count, total / max(count, 1)


def test_every_icon_file_loads(qapp: QApplication) -> None:
    names = icons.names()
    assert EXPECTED_ICONS <= set(names)
    for name in names:
        path = icons.icon_dir() / f"{name}.svg"
        plain = QIcon(str(path))  # through Qt's SVG icon engine plugin
        assert not plain.isNull(), name
        assert not plain.pixmap(24, 24).isNull(), name
        drawn = icons.icon(name)
        assert not drawn.isNull(), name
        count, _ = _ink(drawn.pixmap(24, 24).toImage())
        assert count > 20, f"{name} draws nothing"


def test_icons_are_sharp_on_high_dpi(qapp: QApplication) -> None:
    icon = icons.icon("user")
    pixmap = icon.pixmap(QSize(16, 16), 2.0)
    assert pixmap.devicePixelRatio() == 2.0
    assert (pixmap.width(), pixmap.height()) == (32, 32)
    # Drawn at 32 device pixels: the very picture of a 32 px icon, not a 16 px one scaled up.
    sharp = pixmap.toImage()
    sharp.setDevicePixelRatio(1.0)
    native = icon.pixmap(QSize(32, 32), 1.0).toImage()
    blown_up = icon.pixmap(QSize(16, 16), 1.0).toImage().scaled(32, 32)
    assert sharp == native and sharp != blown_up


def test_dark_scheme_gives_a_dark_palette_and_light_icons(
    scheme: theme.Theme, qapp: QApplication
) -> None:
    scheme.set_preference("light")
    assert scheme.scheme == "light"
    assert not theme.is_dark(QGuiApplication.palette())
    _, light_ink = _ink(icons.icon("delete").pixmap(32, 32).toImage())
    scheme.set_preference("dark")
    assert scheme.scheme == "dark"
    palette = QGuiApplication.palette()
    assert theme.is_dark(palette)
    assert qapp.style().name().lower() == "fusion"
    assert palette.color(palette.ColorRole.Text).lightness() > 200
    _, dark_ink = _ink(icons.icon("delete").pixmap(32, 32).toImage())
    assert light_ink < 80 < 180 < dark_ink  # dark strokes on light, light strokes on dark


def test_environment_choice_wins(monkeypatch: pytest.MonkeyPatch, qapp: QApplication) -> None:
    monkeypatch.setenv(theme.ENV, "dark")
    previous = theme.Theme._instance
    try:
        forced = theme.Theme(qapp, preference="light")
        assert forced.forced_by_environment and forced.scheme == "dark"
        assert theme.is_dark(QGuiApplication.palette())
    finally:
        monkeypatch.delenv(theme.ENV)
        forced.set_preference("system")
        forced.deleteLater()
        theme.Theme._instance = previous


def test_window_icons_follow_the_scheme(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, scheme: theme.Theme
) -> None:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.look.set_appearance("light")
    action = window.connection.connect_action
    _, before = _ink(action.icon().pixmap(24, 24).toImage())
    window.look.set_appearance("dark")
    assert window.look.appearance_actions["dark"].isChecked()
    _, after = _ink(action.icon().pixmap(24, 24).toImage())
    assert before < 80 and after > 180
    title = window.tenants.title  # styled (bold) label: repolished with the dark palette
    assert title.palette().color(title.foregroundRole()).lightness() > 180
    tab_icon = window.tabs.tabIcon(0)
    assert _ink(tab_icon.pixmap(24, 24).toImage())[1] > 180
    assert window.look.toolbar.actions()[0] is action


def test_empty_and_loading_states_say_what_is_happening(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, database: Database
) -> None:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    users_state = next(e for e in window.look.empty_states if e.tab is window.browse_tabs["users"])
    shortcut = window.connection.connect_action.shortcut().toString()
    assert "Not connected" in users_state.message() and shortcut in users_state.message()
    with qtbot.waitSignal(window.connection.connect_action.triggered):
        users_state.linkActivated.emit("connect")
    assert window.connection.dialog is not None
    window.connection.dialog.close()

    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)
        assert users_state.message() == "Loading users…"
    assert users_state.message() == ""
    detail = next(e for e in window.look.empty_states if e.tab is window.tenants.users)
    assert "Select an organization" in detail.message()

    tab = window.browse_tabs["users"]
    with qtbot.waitSignal(tab.model.page_loaded, timeout=10_000):
        tab.filters.search.setText("no-such-user-anywhere")
        tab.filters.flush()
    assert "No users matching “no-such-user-anywhere”" in users_state.message()
    assert "clear filters" in users_state.message()
    with qtbot.waitSignal(tab.model.page_loaded, timeout=10_000):
        users_state.linkActivated.emit("clear")
    assert tab.filters.search.text() == "" and tab.model.rowCount() > 0
    assert users_state.message() == ""


def test_search_box_buttons_are_named(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QToolButton

    from desktop.ui.window_state import views_of

    window = MainWindow(runner)
    qtbot.addWidget(window)
    for key, tab in views_of(window).items():
        names = {b.accessibleName() for b in tab.filters.search.findChildren(QToolButton)}
        assert {"Saved filters", "Search icon"} <= names, key
