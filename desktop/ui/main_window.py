"""The main window: an environment banner, one tab per table, a status bar. Wiring only."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from desktop import __version__
from desktop.core.errors import KnownError
from desktop.core.ui_state import UiStateStore
from desktop.services.columns import TABLES
from desktop.ui.connection_menu import ConnectionControls
from desktop.ui.crash_handler import CrashHandler
from desktop.ui.edit_actions import EditActions
from desktop.ui.environment import style_for
from desktop.ui.firebase_dock import FirebaseDock
from desktop.ui.forms.audit_view import AuditView
from desktop.ui.inline_editing import InlineEditing
from desktop.ui.lazy_tab import LazyTab, warm_up
from desktop.ui.look import Look
from desktop.ui.notifications import attach as attach_notifications
from desktop.ui.runner import Runner
from desktop.ui.shortcuts import Shortcuts
from desktop.ui.table_model import PagedTableModel
from desktop.ui.table_view import BrowseTab
from desktop.ui.tenant_view import TenantView
from desktop.ui.window_state import WindowMemory

if TYPE_CHECKING:
    from desktop.services.connect import Connector
    from desktop.services.database import Database
    from desktop.ui.about_dialog import AboutDialog
    from desktop.ui.migrations_panel import MigrationsPanel

log = logging.getLogger(__name__)

#: Loaded in the background right after the window shows: the database layer (SQLAlchemy),
#: the browse queries, profiles and the keyring, the forms. Kept off start-up on purpose;
#: tests/ui/test_startup_imports.py checks that building the window imports none of them.
WARM_UP_FIRST = (
    "desktop.services.connect",
    "desktop.services.windows",
    "desktop.services.export",
    "desktop.services.audit",
    "desktop.ui.connection_dialog",
    "desktop.ui.forms.user_form",
    "desktop.ui.forms.plugin_form",
    "desktop.ui.forms.organization_form",
    "desktop.ui.forms.bulk_dialog",
    "desktop.ui.about_dialog",
)
WARM_UP_LATER = ("desktop.ui.migrations_panel", "desktop.ui.crash_dialog")


def _migrations_panel(runner: Runner, parent: QWidget) -> MigrationsPanel:
    from desktop.ui.migrations_panel import MigrationsPanel

    return MigrationsPanel(runner, parent)


class MainWindow(QMainWindow):
    #: Every table has shown its first page since the last connection.
    first_pages_loaded = Signal()
    #: Something went wrong that the user was told about (message).
    error_shown = Signal(str)

    def __init__(
        self,
        runner: Runner,
        connector: Connector | None = None,
        state: UiStateStore | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAccessibleName("Tenantry main window")
        self.runner = runner
        self.database: Database | None = None
        self.resize(1280, 760)

        self.banner = QLabel(self)
        self.banner.setObjectName("environmentBanner")
        self.banner.setAccessibleName("Environment banner")
        self.banner.setVisible(False)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tableTabs")
        self.tabs.setAccessibleName("Tables")
        self.tenants = TenantView(runner, self.tabs)
        self.tabs.addTab(self.tenants, "Organizations")
        self.browse_tabs: dict[str, BrowseTab] = {"organizations": self.tenants.organizations}
        for name in ("users", "plugins"):
            tab = BrowseTab(PagedTableModel(TABLES[name], runner, self), runner, self.tabs)
            self.browse_tabs[name] = tab
            self.tabs.addTab(tab, TABLES[name].title)
            tab.organization_requested.connect(self.show_organization)
        self.models = {name: tab.model for name, tab in self.browse_tabs.items()}
        for tab in self.browse_tabs.values():
            tab.message.connect(self.statusBar().showMessage)
        self.tenants.message.connect(self.statusBar().showMessage)
        for model in self.models.values():
            model.page_loaded.connect(self._check_first_pages)
            model.load_failed.connect(self.show_error)
        self.migrations_tab: LazyTab[MigrationsPanel] = LazyTab(
            lambda parent: _migrations_panel(runner, parent), self.tabs
        )
        self.migrations_tab.setObjectName("migrationsTab")
        self.tabs.addTab(self.migrations_tab, "Migrations")
        self.audit_view = AuditView(runner, self.tabs)
        self.tabs.addTab(self.audit_view, "Audit")

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        self.connection = ConnectionControls(self, runner, connector)
        layout.addWidget(self.connection.banner)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)

        self.connection_label = QLabel("Not connected", self)
        self.connection_label.setObjectName("connectionState")
        self.connection_label.setAccessibleName("Connection state")
        self.statusBar().addPermanentWidget(self.connection_label)
        self.crashes = CrashHandler(lambda: self)  # the app bootstrap installs its hooks
        runner.unhandled.connect(self.show_failure)
        self.editing = EditActions(self, runner, self.current_browse_tab, self.tenants.opened)
        self.editing.message.connect(self.statusBar().showMessage)
        self.editing.changed.connect(self.reload_data)
        self.inline = InlineEditing(self, runner, lambda: self.editing.context)
        for tab in (*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins):
            self.inline.attach(tab)
        self.editing.bind_delete_to_tables(
            tab.view
            for tab in (*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins)
        )
        self.inline.changed.connect(self.reload_data)
        self.inline.message.connect(self.statusBar().showMessage)
        self.firebase = FirebaseDock(self, runner)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        self.about_action = help_menu.addAction("About Tenantry", self.show_about)
        self.about_action.setObjectName("aboutAction")
        for tab in (self.browse_tabs["users"], self.tenants.users):
            tab.view.selectionModel().currentRowChanged.connect(
                lambda current, _previous, tab=tab: self._user_selected(tab, current.row())
            )
            tab.view.doubleClicked.connect(lambda _index: self.editing.edit())
        for tab in (self.browse_tabs["plugins"], self.tenants.plugins):
            tab.view.doubleClicked.connect(lambda _index: self.editing.edit())
        self.shortcuts = Shortcuts(self)
        self.notifications = attach_notifications(self)
        self._waiting_first_pages: set[str] = set()
        self._warmed_up = False
        # Memory and look last: they decorate and restore what is built above.
        self.ui_state = state or UiStateStore(persist=False)  # tests: remember nothing
        self.memory = WindowMemory(self, self.ui_state)
        self.look = Look(self, self.ui_state)
        self.memory.restore()  # before any load: a connection then loads each view once
        self._update_title()

    # -- connection -------------------------------------------------------------------------

    def show_connecting(self, message: str) -> None:
        self.connection_label.setText(message)
        self.statusBar().showMessage(message)

    def set_database(self, database: Database) -> None:
        self.database = database
        env = style_for(database.environment)
        info = database.info
        mode = "read-only" if info.read_only else "read-write"
        self.connection_label.setText(
            f"{env.label} · {info.user}@{info.database} · PostgreSQL {info.version} · {mode}"
        )
        self.connection_label.setStyleSheet(
            f"background: {env.background}; color: {env.foreground}; padding: 2px 8px;"
        )
        text = f"{env.label.upper()} · {database.label}"
        if database.environment == "demo":
            text += " · sample data, safe to explore"
        self.banner.setText(text)
        self.banner.setStyleSheet(
            f"background: {env.background}; color: {env.foreground};"
            " font-weight: bold; padding: 6px 10px;"
        )
        self.banner.setVisible(True)
        self.statusBar().showMessage("Connected", 3000)
        self._waiting_first_pages = set(self.models)
        self.tenants.set_database(database)
        self.browse_tabs["users"].set_database(database)
        self.browse_tabs["plugins"].set_database(database)
        self.migrations_tab.set_database(database)
        self.audit_view.set_database(database)
        self.editing.set_database(database)
        self.inline.set_database(database)
        self.firebase.set_database(database)
        self._update_title()

    @property
    def migrations_panel(self) -> MigrationsPanel:
        return self.migrations_tab.content

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._warmed_up:
            self._warmed_up = True  # once the window has painted, not during start-up
            QTimer.singleShot(50, self, lambda: warm_up(self.runner, *WARM_UP_FIRST))
            QTimer.singleShot(1500, self, lambda: warm_up(self.runner, *WARM_UP_LATER))

    def show_about(self) -> AboutDialog:
        from desktop.ui.about_dialog import AboutDialog  # on demand: off start-up

        dialog = AboutDialog(self.runner, self.database, self)
        dialog.show()
        return dialog

    def current_browse_tab(self) -> BrowseTab | None:
        """The table the user works in: the focused one, else the visible one."""
        tables = [*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins]
        focus = self.focusWidget()
        for tab in tables:
            if focus is not None and (focus is tab or tab.isAncestorOf(focus)):
                return tab
        current = self.tabs.currentWidget()
        if current is self.tenants:
            return self.tenants.focused_tab()
        return current if isinstance(current, BrowseTab) else None

    def reload_data(self) -> None:
        """After a change made here: show the new rows (the forms keep their own state)."""
        if self.database is None:
            return
        for tab in (*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins):
            if tab.model.database is not None:
                tab.model.set_database(self.database)
        self.audit_view.reload()

    def _user_selected(self, tab: BrowseTab, row: int) -> None:
        record = tab.model.record(row) if row >= 0 else None
        self.firebase.show_user(int(record["id"]) if record else None)

    def show_organization(self, organization_id: int) -> None:
        """From a user or a plugin: its organization, with its users and plugins."""
        self.tabs.setCurrentWidget(self.tenants)
        self.tenants.show_organization(organization_id)

    def _update_title(self) -> None:
        if self.database is None:
            self.setWindowTitle(f"Tenantry {__version__}")
        else:
            env = style_for(self.database.environment)
            self.setWindowTitle(f"[{env.label}] {self.database.label} — Tenantry")

    def _check_first_pages(self) -> None:
        sender = self.sender()
        for name, model in self.models.items():
            if model is sender:
                self._waiting_first_pages.discard(name)
        if not self._waiting_first_pages and self.database is not None:
            self.first_pages_loaded.emit()

    # -- errors -----------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self.error_shown.emit(message)

    def show_failure(self, exc: BaseException) -> None:
        """A background failure nobody handled: known ones as a message, others in a dialog."""
        if isinstance(exc, KnownError):
            self.show_error(exc.message)
            return
        report = self.crashes.report(exc, where="a background task")
        self.error_shown.emit(report.summary)
