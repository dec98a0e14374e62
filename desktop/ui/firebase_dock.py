"""The Firebase side of the window: the selected user's account, and the drift report."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow

from desktop.services import audit
from desktop.services.database import Database
from desktop.services.firebase import profile_settings
from desktop.services.firebase.session import FirebaseAccounts
from desktop.services.writes import actor_for
from desktop.ui.firebase_drift import DriftDialog
from desktop.ui.firebase_panel import FirebaseAccountPanel
from desktop.ui.runner import Runner


def _accounts_for(database: Database) -> FirebaseAccounts | None:
    """Blocking (keyring): the profile's Firebase project, or None when it has none."""
    profile = database.profile
    if profile is None or not profile.firebase_project:
        return None
    settings = profile_settings.settings_for(profile)
    return FirebaseAccounts(
        database.engine, settings, audit=audit.firebase_hook(actor_for(database))
    )


class FirebaseDock(QObject):
    def __init__(self, window: QMainWindow, runner: Runner) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.accounts: FirebaseAccounts | None = None
        self.panel = FirebaseAccountPanel(runner)
        self.dock = QDockWidget("Firebase account", window)
        self.dock.setObjectName("firebaseDock")
        self.dock.setAccessibleName("Firebase account")
        self.dock.setWidget(self.panel)
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
        self.window.statusBar().showMessage(f"Firebase: {exc}")

    def _set_accounts(self, accounts: FirebaseAccounts | None) -> None:
        if self.accounts is not None and self.accounts is not accounts:
            old = self.accounts
            self.runner.submit(old.close, pool="net")
        self.accounts = accounts
        self.panel.set_accounts(accounts)
        self.drift_action.setEnabled(accounts is not None)
        self.drift_action.setToolTip(
            "" if accounts else "This profile has no Firebase project (set one in its profile)."
        )

    def show_user(self, user_id: int | None) -> None:
        self.panel.show_user(user_id)

    def open_drift(self) -> None:
        if self.accounts is None:
            return
        dialog = DriftDialog(self.runner, self.accounts, self.window)
        dialog.show()
