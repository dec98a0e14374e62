"""The keyboard: platform-standard shortcuts, the View and Go menus, and keys for every action.

Standard actions use `QKeySequence.StandardKey` wherever the platform defines one (so a
Mac gets Cmd+, for Preferences, KDE its own Quit, ...), with a fixed fallback where it
does not. Menu actions that were built without a shortcut get one here, so that every
item in the menus can be reached from the keyboard (tests/ui/test_shortcuts.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QMenu, QWidget

from desktop.ui.tab_order import free_tab_key
from desktop.ui.table_view import BrowseTab

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow
    from desktop.ui.quick_switcher import QuickSwitcher
    from desktop.ui.shortcuts_dialog import ShortcutsDialog

Key = QKeySequence.StandardKey | str

#: Keys for menu actions built elsewhere without one (by attribute path on the window).
FILL_IN: dict[str, str] = {
    "editing.deactivate_action": "Ctrl+Shift+D",
    "editing.activate_action": "Ctrl+Shift+A",
    "editing.soft_delete_action": "Ctrl+Shift+Del",
    "editing.move_action": "Ctrl+Shift+M",
    "editing.import_action": "Ctrl+Shift+I",
    "firebase.drift_action": "Ctrl+Shift+B",
    "about_action": "Ctrl+F1",
}


#: Platform alternatives left out: Backspace as Back/Forward is a browser habit that would
#: fire while editing a cell or typing in a table; the text fields already own it.
LEFT_OUT = {QKeySequence("Backspace"), QKeySequence("Shift+Backspace")}


def bindings(key: Key, fallback: str = "") -> list[QKeySequence]:
    """The platform's sequences for a standard key, else `fallback`."""
    if isinstance(key, str):
        return [QKeySequence(key)]
    found = [k for k in QKeySequence.keyBindings(key) if not k.isEmpty() and k not in LEFT_OUT]
    return found or ([QKeySequence(fallback)] if fallback else [])


def make_action(
    parent: QWidget,
    menu: QMenu,
    text: str,
    name: str,
    slot: Callable[[], object],
    key: Key,
    fallback: str = "",
    tip: str = "",
) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    action.setShortcuts(bindings(key, fallback))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action


class WindowKeysFirst(QObject):
    """Lets chosen window shortcuts win over a text field's own binding of the same keys
    (GNOME binds Ctrl+K to "delete to end of line"; Ctrl+K must open the switcher)."""

    def __init__(self, keys: list[QKeySequence], parent: QObject) -> None:
        super().__init__(parent)
        self.keys = keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            if any(
                pressed.matches(key) == QKeySequence.SequenceMatch.ExactMatch for key in self.keys
            ):
                return True  # not accepted by the field: the window's shortcut runs
        return False

    def watch(self, root: QWidget) -> None:
        for edit in root.findChildren(QLineEdit):
            edit.installEventFilter(self)


def menu_named(window: MainWindow, name: str) -> QMenu:
    menu = window.menuBar().findChild(QMenu, name)
    if menu is None:
        raise LookupError(f"no menu named {name}")
    return menu


class Shortcuts(QObject):
    """Builds the View and Go menus, Preferences and Quit, Help > Keyboard shortcuts."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.switcher: QuickSwitcher | None = None
        self.overview: ShortcutsDialog | None = None
        help_menu = menu_named(window, "helpMenu")
        bar = window.menuBar()
        bar.setObjectName("menuBar")
        bar.setAccessibleName("Menu bar")

        view = QMenu("&View", window)
        view.setObjectName("viewMenu")
        bar.insertMenu(help_menu.menuAction(), view)
        self.find_action = make_action(
            window, view, "Find in this view", "findAction", self.find,
            QKeySequence.StandardKey.Find, "Ctrl+F", "Put the cursor in this view's search box",
        )  # fmt: skip
        self.refresh_action = make_action(
            window, view, "Refresh", "refreshAction", self.refresh,
            QKeySequence.StandardKey.Refresh, "F5", "Reload this view from the database",
        )  # fmt: skip
        self.cancel_action = make_action(
            window, view, "Cancel running export", "cancelAction", self.cancel,
            QKeySequence.StandardKey.Cancel, "Esc", "Stop the export in progress (nothing is kept)",
        )  # fmt: skip
        self.close_action = make_action(
            window, view, "Close panel", "closePanelAction", self.close_panel,
            QKeySequence.StandardKey.Close, "Ctrl+W",
            "Close the Firebase account panel, else go back to this view's table",
        )  # fmt: skip
        view.addSeparator()
        self.tab_actions: list[QAction] = []
        for index in range(min(window.tabs.count(), 9)):
            title = window.tabs.tabText(index).replace("&", "")
            self.tab_actions.append(
                make_action(
                    window,
                    view,
                    f"{title} tab",
                    f"tab{index + 1}Action",
                    partial(self.show_tab, index),
                    f"Ctrl+{index + 1}",
                )  # fmt: skip
            )
        self.next_tab_action = make_action(
            window, view, "Next tab", "nextTabAction", lambda: self.step_tab(1), "Ctrl+PgDown"
        )
        self.previous_tab_action = make_action(
            window, view, "Previous tab", "previousTabAction", lambda: self.step_tab(-1),
            "Ctrl+PgUp",
        )  # fmt: skip

        go = QMenu("&Go", window)
        go.setObjectName("goMenu")
        bar.insertMenu(help_menu.menuAction(), go)
        self.switcher_action = make_action(
            window, go, "Go to organization, user or plugin…", "quickSwitcherAction",
            self.open_switcher, "Ctrl+K", tip="Find anything by name, email or id",
        )  # fmt: skip
        self.back_action = make_action(
            window, go, "Back", "backAction", self.back, QKeySequence.StandardKey.Back,
            "Alt+Left", "The organization looked at before",
        )  # fmt: skip
        self.forward_action = make_action(
            window, go, "Forward", "forwardAction", self.forward,
            QKeySequence.StandardKey.Forward, "Alt+Right",
        )  # fmt: skip

        connection = menu_named(window, "connectionMenu")
        self.preferences_action = make_action(
            window, connection, "Preferences (connection profiles)…", "preferencesAction",
            lambda: window.connection.open_dialog(), QKeySequence.StandardKey.Preferences,
            "Ctrl+,", "Profiles: hosts, TLS, timeouts, environment, read-only, Firebase",
        )  # fmt: skip
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        connection.addSeparator()
        self.quit_action = make_action(
            window, connection, "Quit", "quitAction", window.close,
            QKeySequence.StandardKey.Quit, "Ctrl+Q",
        )  # fmt: skip
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        self.overview_action = QAction("Keyboard shortcuts", window)
        self.overview_action.setObjectName("shortcutsAction")
        self.overview_action.setShortcuts(bindings(QKeySequence.StandardKey.HelpContents, "F1"))
        self.overview_action.triggered.connect(lambda _checked=False: self.show_overview())
        help_menu.insertAction(help_menu.actions()[0], self.overview_action)

        window.firebase.toggle_action.setObjectName("firebaseDockAction")
        for path, key in FILL_IN.items():
            target: object = window
            for part in path.split("."):
                target = getattr(target, part)
            assert isinstance(target, QAction)
            if target.shortcut().isEmpty():
                target.setShortcut(QKeySequence(key))
        free_tab_key(window)  # Tab leaves the tables; arrows walk their cells
        self.keys_first = WindowKeysFirst(self.switcher_action.shortcuts(), self)
        self.keys_first.watch(window)
        window.tabs.currentChanged.connect(lambda _: free_tab_key(window.tabs.currentWidget()))
        for button, action in (
            (window.tenants.back_button, self.back_action),
            (window.tenants.forward_button, self.forward_action),
        ):
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            button.setToolTip(f"{button.accessibleName()} ({key})")

    # -- View -------------------------------------------------------------------------------

    def current_tab(self) -> BrowseTab | None:
        return self.window.current_browse_tab()

    def find(self) -> None:
        current = self.window.tabs.currentWidget()
        tab = self.current_tab()
        if current is self.window.audit_view:
            target: QWidget = self.window.audit_view.user
        elif tab is not None:
            target = tab.filters.search
        else:
            self.window.statusBar().showMessage("This tab has no search box.", 4000)
            return
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if hasattr(target, "selectAll"):
            target.selectAll()

    def refresh(self) -> None:
        window = self.window
        if window.database is None:
            window.statusBar().showMessage("Not connected: nothing to refresh.", 4000)
            return
        current = window.tabs.currentWidget()
        if current is window.tenants:
            tabs = [window.tenants.organizations, window.tenants.users, window.tenants.plugins]
            for tab in tabs:
                if tab.model.database is not None:
                    tab.model.set_database(window.database)
        elif isinstance(current, BrowseTab):
            current.model.set_database(window.database)
        elif current is window.migrations_tab:
            window.migrations_panel.refresh()
        elif current is window.audit_view:
            window.audit_view.reload()
        window.statusBar().showMessage("Refreshing…", 2000)

    def running_exports(self) -> list[BrowseTab]:
        tabs = [*self.window.browse_tabs.values(), self.window.tenants.users]
        tabs.append(self.window.tenants.plugins)
        return [tab for tab in tabs if tab.export.running]

    def cancel(self) -> None:
        """Esc: stop running exports (safe: the partial file is removed). Loads and counts
        are bounded by timeouts and superseded by the next request; migrations and bulk
        changes have their own Cancel in their dialogs."""
        running = self.running_exports()
        for tab in running:
            tab.export.cancel()
        if running:
            self.window.statusBar().showMessage("Cancelling the export…", 3000)

    def close_panel(self) -> None:
        dock = self.window.firebase.dock
        if dock.isVisible():
            dock.hide()
        else:
            self.focus_table()

    def focus_table(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.window.tabs.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_tab(self, index: int) -> None:
        self.window.tabs.setCurrentIndex(index)
        self.focus_first_in_tab()

    def step_tab(self, step: int) -> None:
        tabs = self.window.tabs
        tabs.setCurrentIndex((tabs.currentIndex() + step) % tabs.count())
        self.focus_first_in_tab()

    def focus_first_in_tab(self) -> None:
        tab = self.current_tab()
        if tab is not None and self.window.tabs.currentWidget() is not self.window.tenants:
            tab.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif self.window.tabs.currentWidget() is self.window.tenants:
            self.window.tenants.organizations.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- Go ---------------------------------------------------------------------------------

    def back(self) -> None:
        self.window.tabs.setCurrentWidget(self.window.tenants)
        self.window.tenants.back()

    def forward(self) -> None:
        self.window.tabs.setCurrentWidget(self.window.tenants)
        self.window.tenants.forward()

    def open_switcher(self) -> QuickSwitcher:
        from desktop.ui.quick_switcher import QuickSwitcher

        if self.switcher is None:
            self.switcher = QuickSwitcher(self.window.runner, self.window)
            self.switcher.chosen.connect(self.window_navigate)
        self.switcher.open_for(self.window.database)
        return self.switcher

    def window_navigate(self, hit: object) -> None:
        from desktop.ui.navigate import go_to

        go_to(self.window, hit)  # type: ignore[arg-type]

    def show_overview(self) -> ShortcutsDialog:
        from desktop.ui.shortcuts_dialog import ShortcutsDialog

        if self.overview is not None and self.overview.isVisible():
            self.overview.raise_()
            self.overview.activateWindow()
            return self.overview
        self.overview = ShortcutsDialog(self.window)
        self.overview.show()
        return self.overview
