"""The Connection menu and what hangs off it: the dialog, the lost-connection banner, opening."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from desktop.core.errors import KnownError
from desktop.ui.connection_banner import ConnectionBanner
from desktop.ui.runner import Runner

# Profiles, the keyring and the connection dialog load when first needed, off start-up.
if TYPE_CHECKING:
    from desktop.services.connect import Connector, Opened
    from desktop.services.database import Database
    from desktop.ui.connection_dialog import ConnectionDialog
    from desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class ConnectionControls(QObject):
    """Connect…, switching databases (the old one is closed), and reconnecting."""

    def __init__(self, window: MainWindow, runner: Runner, connector: Connector | None) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self._connector = connector
        self.dialog: ConnectionDialog | None = None
        self.connect_action = QAction("&Connect…", window)
        self.connect_action.setObjectName("connectAction")
        self.connect_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.connect_action.setStatusTip("Open, create, edit or test connection profiles")
        self.connect_action.triggered.connect(lambda: self.open_dialog())
        menu = window.menuBar().addMenu("&Connection")
        menu.setObjectName("connectionMenu")
        menu.addAction(self.connect_action)
        self.banner = ConnectionBanner(lambda: window.database, window)
        self.banner.reconnect_requested.connect(self.reconnect)
        window.error_shown.connect(self.banner.refresh)
        window.first_pages_loaded.connect(self.banner.refresh)
        window.statusBar().showMessage("Connection ▸ Connect… (Ctrl+Shift+O) opens a database.")

    @property
    def connector(self) -> Connector:
        """Profiles and secrets; created on first use (no keyring call happens here)."""
        if self._connector is None:
            from desktop.services.connect import Connector

            self._connector = Connector()
        return self._connector

    def open_dialog(
        self, select: str | None = None, message: str | None = None
    ) -> ConnectionDialog:
        from desktop.ui.connection_dialog import ConnectionDialog

        if self.dialog is None or not self.dialog.isVisible():
            self.dialog = ConnectionDialog(self.runner, self.connector, self.window)
            self.dialog.opened.connect(self.use)
        if select is not None:
            self.dialog.select(select)
        if message:
            self.dialog.outcome.setText(message)
            self.dialog.form.password.setFocus()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def use(self, opened: Opened) -> None:
        """Show the newly opened database; close the previous one in the background."""
        previous = self.window.database
        database = opened.database
        if previous is not database and not self.window.inline.confirm_leave(
            partial(self.use, opened), partial(self.runner.submit, database.dispose, pool="net")
        ):
            return  # unsaved inline changes: saving first, or the user stayed
        self.window.set_database(database)
        if previous is not None and previous is not database:
            self.runner.submit(previous.dispose, pool="net")
        if opened.notice:
            self.window.statusBar().showMessage(opened.notice)

    def reconnect(self) -> None:
        database = self.window.database
        if database is None:
            return
        self.banner.button.setEnabled(False)
        self.banner.label.setText("Reconnecting…")
        self.runner.submit(
            database.server_info,
            on_success=lambda _info: self._reconnected(database),
            on_failure=self._reconnect_failed,
        )

    def _reconnected(self, database: Database) -> None:
        self.banner.button.setEnabled(True)
        database.health.mark_ok()
        self.banner.refresh()
        if self.window.database is database:
            self.window.set_database(database)  # reload what failed to load

    def _reconnect_failed(self, exc: BaseException) -> None:
        self.banner.button.setEnabled(True)
        if not isinstance(exc, KnownError):
            raise exc
        self.banner.refresh()
        self.window.show_error(exc.message)
