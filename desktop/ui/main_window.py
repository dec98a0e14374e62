"""The main window: an environment banner, one tab per table, a status bar. Wiring only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from desktop import __version__
from desktop.core.errors import KnownError
from desktop.core.events import RowsChanged
from desktop.core.ui_state import UiStateStore
from desktop.services.columns import TABLES
from desktop.ui.connection_menu import ConnectionControls
from desktop.ui.crash_handler import CrashHandler
from desktop.ui.edit_actions import EditActions
from desktop.ui.environment import style_for
from desktop.ui.firebase_dock import FirebaseDock
from desktop.ui.forms.audit_view import AuditView
from desktop.ui.hub_bridge import HubBridge
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


#: Shown once when a database has no Tenantry tables (instead of every view's SQL error).
NO_SCHEMA_MESSAGE = (
    "This database has no Tenantry tables yet: open the Migrations tab and upgrade it to "
    "head; the tables load as soon as the schema is in place."
)


def _migrations_panel(
    runner: Runner, parent: QWidget, finished: Callable[[object], None]
) -> MigrationsPanel:
    from desktop.ui.migrations_panel import MigrationsPanel

    panel = MigrationsPanel(runner, parent)
    panel.run_finished.connect(finished)
    return panel


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
            lambda parent: _migrations_panel(runner, parent, self._after_migration), self.tabs
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
        self.editing.organization_deleted.connect(self.tenants.forget_organization)
        self.inline = InlineEditing(self, runner, lambda: self.editing.context)
        for tab in (*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins):
            self.inline.attach(tab)
        self.editing.bind_delete_to_tables(
            tab.view
            for tab in (*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins)
        )
        self.inline.message.connect(self.statusBar().showMessage)
        # What every committed write changed, from the session's hub: each view refreshes
        # the rows it touched, or reloads when rows may have moved (services/refresh.py).
        self.hub = HubBridge(self)
        self.hub.rows_changed.connect(self._rows_changed)
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
        self.hub.watch(database.hub)
        self._waiting_first_pages = set(self.models)
        self.firebase.show_user(None)
        self.migrations_tab.set_database(database)
        self.firebase.set_database(database)
        if database.info.has_schema:
            self._show_data_of(database)
        else:
            self._show_data_of(None)  # every view empties: nothing of the previous database
            self.show_error(NO_SCHEMA_MESSAGE)
        self._update_title()

    def _show_data_of(self, database: Database | None) -> None:
        """Point every view, and the editing, at `database` (None: empty and inactive)."""
        self.tenants.set_database(database)
        self.browse_tabs["users"].set_database(database)
        self.browse_tabs["plugins"].set_database(database)
        self.audit_view.set_database(database)
        self.editing.set_database(database)
        self.inline.set_database(database)

    def _after_migration(self, _result: object) -> None:
        """A migration run finished: a database that had no schema may have one now."""
        database = self.database
        if database is None or self.editing.context is not None:
            return

        def loaded(present: bool) -> None:
            if present and database is self.database:
                self.statusBar().showMessage("The schema is in place: loading the tables…", 5000)
                self._show_data_of(database)

        self.runner.submit(database.has_schema, on_success=loaded, on_failure=self.show_failure)

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
        """Read every view again from the start (the forms keep their own state). Writes
        made here do not need it: their RowsChanged events refresh what they touched."""
        if self.database is None:
            return
        for tab in (*self.browse_tabs.values(), self.tenants.users, self.tenants.plugins):
            if tab.model.database is not None:
                tab.model.set_database(self.database)
        self.audit_view.reload()

    def _rows_changed(self, change: RowsChanged) -> None:
        """A write committed (here, through this session): show its rows as they are now."""
        if self.database is None:
            return
        self.tenants.apply_change(change)
        for name in ("users", "plugins"):
            self.browse_tabs[name].model.apply_change(change)
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
