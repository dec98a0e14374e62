"""The window's look: icons on actions and tabs, the toolbar, View ▸ Appearance, empty states.

Icons are drawn in the palette's colours, so they are drawn again whenever the application
palette changes (the system switched scheme, or the user chose one).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QMenu, QTabWidget, QToolBar

from desktop.core.ui_state import UiStateStore
from desktop.ui import icons
from desktop.ui.empty_state import EmptyState
from desktop.ui.theme import PREFERENCES, Theme

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

APPEARANCE_KEY = "appearance"
APPEARANCE_TITLES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
APPEARANCE_KEYS = {"system": "Ctrl+Alt+0", "light": "Ctrl+Alt+1", "dark": "Ctrl+Alt+2"}


class Look(QObject):
    """Builds the toolbar and the View menu of `window`, and keeps its icons in colour."""

    def __init__(self, window: MainWindow, store: UiStateStore) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self._painters: list[Callable[[], None]] = []
        edit = window.editing
        connect = window.connection.connect_action
        for action, name in (
            (connect, "connect"),
            (edit.undo_action, "undo"),
            (edit.new_action, "new"),
            (edit.edit_action, "edit"),
            (edit.delete_action, "delete"),
            (edit.import_action, "import"),
            (window.firebase.drift_action, "firebase"),
            (window.firebase.toggle_action, "user"),
            (window.about_action, "info"),
        ):
            self._paint(partial(_set_action_icon, action, name))
        for index, name in enumerate(("organization", "user", "plugin", "migrations", "audit")):
            if index < window.tabs.count():
                self._paint(partial(_set_tab_icon, window.tabs, index, name))
        detail = window.tenants.detail_tabs
        for index, name in enumerate(("user", "plugin")):
            self._paint(partial(_set_tab_icon, detail, index, name))
        tabs = [*window.browse_tabs.values(), window.tenants.users, window.tenants.plugins]
        for tab in tabs:
            self._paint(partial(_set_button_icon, tab.export.button, "export"))
            search = tab.filters.search.addAction(QIcon(), QLineEdit.ActionPosition.LeadingPosition)
            search.setToolTip("Type to search; Enter applies at once")
            icons.name_line_edit_button(
                search, f"{tab.filters.objectName()}SearchIcon", "Search icon"
            )
            self._paint(partial(_set_action_icon, search, "search"))
        for saved in window.memory.saved_filters.values():
            self._paint(partial(_set_action_icon, saved.action, "bookmark"))

        self.toolbar = QToolBar("Main toolbar", window)
        self.toolbar.setObjectName("mainToolBar")
        self.toolbar.setAccessibleName("Main toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setMovable(False)
        self.toolbar.addAction(connect)
        self.toolbar.addSeparator()
        for action in (edit.new_action, edit.edit_action, edit.delete_action, edit.undo_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(window.firebase.drift_action)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        for action in self.toolbar.actions():  # the buttons, named for tests and screen readers
            button = self.toolbar.widgetForAction(action)
            if button is not None and not action.isSeparator():
                button.setObjectName(f"{action.objectName()}Button")
                button.setAccessibleName(action.text().replace("&", "").rstrip("…"))

        self.view_menu = self._view_menu()
        self.empty_states = [
            EmptyState(tab, connect, lambda: window.database is not None)
            for tab in window.browse_tabs.values()
        ]
        self.empty_states += [
            EmptyState(tab, connect, lambda: window.database is not None, needs_selection=True)
            for tab in (window.tenants.users, window.tenants.plugins)
        ]
        self.repaint_icons()
        self._theme().changed.connect(self._on_scheme)  # (disconnected when we are deleted)
        window.installEventFilter(self)

    def _paint(self, painter: Callable[[], None]) -> None:
        self._painters.append(painter)

    def _on_scheme(self, _scheme: str) -> None:
        self.repaint_icons()

    def repaint_icons(self) -> None:
        for painter in self._painters:
            painter()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        palette_events = (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange)
        if watched is self.window and event.type() in palette_events:
            self.repaint_icons()
        return False

    # -- View menu ----------------------------------------------------------------------------

    def _view_menu(self) -> QMenu:
        """The View menu (the keyboard's, when it exists), with saved filters and looks."""
        existing = self.window.findChild(QMenu, "viewMenu")
        if existing is not None:
            menu = existing
            menu.addSeparator()
        else:
            menu = QMenu("&View", self.window)
            menu.setObjectName("viewMenu")
            bar = self.window.menuBar()
            help_menu = self.window.findChild(QMenu, "helpMenu")
            if help_menu is not None:
                bar.insertMenu(help_menu.menuAction(), menu)
            else:
                bar.addMenu(menu)
        saved = menu.addAction("Saved filters of this table…", self._saved_filters_menu)
        saved.setObjectName("savedFiltersAction")
        saved.setShortcut(QKeySequence("Ctrl+Shift+S"))
        menu.addSeparator()
        toolbar = self.toolbar.toggleViewAction()
        toolbar.setText("Show toolbar")
        toolbar.setObjectName("toggleToolbarAction")
        toolbar.setShortcut(QKeySequence("Ctrl+Shift+T"))
        menu.addAction(toolbar)
        appearance = menu.addMenu("Appearance")
        appearance.setObjectName("appearanceMenu")
        group = QActionGroup(self)
        group.setExclusive(True)
        self.appearance_actions: dict[str, QAction] = {}
        current = self._theme().preference
        for preference in PREFERENCES:
            action = QAction(APPEARANCE_TITLES[preference], self.window)
            action.setObjectName(f"appearance{preference.title()}Action")
            action.setCheckable(True)
            action.setChecked(preference == current)
            action.setShortcut(QKeySequence(APPEARANCE_KEYS[preference]))
            action.triggered.connect(partial(self.set_appearance, preference))
            group.addAction(action)
            appearance.addAction(action)
            self.appearance_actions[preference] = action
        if self._theme().forced_by_environment:
            appearance.setToolTip("Set by TENANTRY_COLOR_SCHEME")
            for action in self.appearance_actions.values():
                action.setEnabled(False)
        return menu

    def _saved_filters_menu(self) -> None:
        tab = self.window.current_browse_tab()
        for saved in self.window.memory.saved_filters.values():
            if saved.tab is tab:
                saved.popup()
                return
        self.window.statusBar().showMessage("Select a table first: its saved filters open.")

    def _theme(self) -> Theme:
        return Theme.instance()

    def set_appearance(self, preference: str) -> None:
        """Light, dark or the system's scheme, remembered for the next start."""
        self._theme().set_preference(preference)
        self.appearance_actions[preference].setChecked(True)
        self.store.window[APPEARANCE_KEY] = preference
        self.store.save()


def _set_action_icon(action: QAction, name: str) -> None:
    action.setIcon(icons.icon(name))


def _set_tab_icon(tabs: QTabWidget, index: int, name: str) -> None:
    tabs.setTabIcon(index, icons.icon(name))


def _set_button_icon(button: QAbstractButton, name: str) -> None:
    button.setIcon(icons.icon(name))
