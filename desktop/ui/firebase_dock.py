"""The Firebase side of the window: the selected user's account, and the drift report.

Firebase's libraries are heavy to import, so nothing of them loads at start-up: the worker
that reads a profile's Firebase settings imports them, and the account panel is built only
once a connection has a Firebase project.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.services.database import Database
    from desktop.services.firebase.session import FirebaseAccounts
    from desktop.ui.firebase_panel import FirebaseAccountPanel

NO_PROJECT = "This connection has no Firebase project. Set one in its profile (Connect…)."


def _accounts_for(database: Database) -> FirebaseAccounts | None:
    """Worker thread: Firebase's libraries import here, not at start-up."""
    from desktop.services.firebase.session import accounts_for

    return accounts_for(database)


class FirebaseDock(QObject):
    def __init__(self, window: QMainWindow, runner: Runner) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.accounts: FirebaseAccounts | None = None
        self.panel: FirebaseAccountPanel | None = None
        self.user_id: int | None = None
        self.placeholder = QLabel(NO_PROJECT)
        self.placeholder.setObjectName("firebaseNoProject")
        self.placeholder.setAccessibleName("Firebase account")
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(12)
        self.dock = QDockWidget("Firebase account", window)
        self.dock.setObjectName("firebaseDock")
        self.dock.setAccessibleName("Firebase account")
        self.dock.setWidget(self.placeholder)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        menu = window.menuBar().addMenu("Fire&base")
        menu.setObjectName("firebaseMenu")
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setText("Show account panel")
        self.toggle_action.setShortcut("Ctrl+Shift+F")
        menu.addAction(self.toggle_action)
        self.drift_action = QAction("Drift report…", window)
        self.drift_action.setObjectName("firebaseDriftAction")
        self.drift_action.triggered.connect(self.open_drift)
        self.drift_action.setEnabled(False)
        menu.addAction(self.drift_action)

    def set_database(self, database: Database | None) -> None:
        self._set_accounts(None)
        if database is None:
            return
        self.runner.submit(
            partial(_accounts_for, database),
            on_success=self._set_accounts,
            on_failure=self._failed,
            key="firebase-accounts",
            pool="net",
        )

    def _failed(self, exc: BaseException) -> None:
        self.placeholder.setText(f"Firebase: {exc}")
        self.window.statusBar().showMessage(f"Firebase: {exc}")

    def _set_accounts(self, accounts: FirebaseAccounts | None) -> None:
        if self.accounts is not None and self.accounts is not accounts:
            self.runner.submit(self.accounts.close, pool="net")
        self.accounts = accounts
        self.drift_action.setEnabled(accounts is not None)
        self.drift_action.setToolTip("" if accounts else NO_PROJECT)
        if accounts is None:
            self.placeholder.setText(NO_PROJECT)
            if self.panel is not None:
                self.panel.set_accounts(None)
            return
        if self.panel is None:
            from desktop.ui.firebase_panel import FirebaseAccountPanel

            self.panel = FirebaseAccountPanel(self.runner)
            self.dock.setWidget(self.panel)
        self.panel.set_accounts(accounts)
        self.panel.show_user(self.user_id)

    def show_user(self, user_id: int | None) -> None:
        self.user_id = user_id
        if self.panel is not None and self.accounts is not None:
            self.panel.show_user(user_id)

    def open_drift(self) -> None:
        if self.accounts is None:
            return
        from desktop.ui.firebase_drift import DriftDialog

        DriftDialog(self.runner, self.accounts, self.window).show()
