"""The Firebase account of the selected user: read-only details and the account actions.

Everything Firebase or the database does runs through the Runner's network pool; the
panel only shows what comes back. When Firebase is unreachable the panel says so and
offers to retry; the rest of the window keeps working.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.services.firebase.accounts import UserAccount
from desktop.services.firebase.actions import ActionFailed, ActionResult
from desktop.services.firebase.session import FirebaseAccounts
from desktop.ui.runner import Runner

FIELDS = (
    ("exists", "Account"),
    ("uid", "UID"),
    ("email", "Email"),
    ("verified", "Email verified"),
    ("disabled", "Disabled"),
    ("providers", "Sign-in providers"),
    ("created", "Created"),
    ("last_sign_in", "Last sign-in"),
    ("tokens_valid_after", "Sessions valid after"),
)

_BANNER = {
    "info": "background:#e8f1fb; color:#0b3d6b; border:1px solid #9cc3ea;",
    "ok": "background:#e9f7ec; color:#1e5b2c; border:1px solid #9fd3ab;",
    "error": "background:#fdecea; color:#7a1c12; border:1px solid #f0a8a0;",
}


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "never"


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


class FirebaseAccountPanel(QWidget):
    """Shows one user's Firebase account; buttons act on both Firebase and the row."""

    #: The account of the current user was shown (UserAccount).
    loaded = Signal(object)
    #: A message was shown in the banner: (kind, text); kind is info, ok or error.
    message_shown = Signal(str, str)
    #: An action finished (ActionResult).
    action_finished = Signal(object)

    def __init__(
        self,
        runner: Runner,
        accounts: FirebaseAccounts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firebaseAccountPanel")
        self.setAccessibleName("Firebase account")
        self.runner = runner
        self.accounts = accounts
        self.user_id: int | None = None
        self.current: UserAccount | None = None
        self._retry: Callable[[], Any] | None = None
        self._busy = False
        self._after_load: tuple[str, str, Callable[[], Any] | None] | None = None
        self._key = f"firebase-account-{id(self)}"

        self.title = QLabel("Firebase account", self)
        self.title.setObjectName("firebaseTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel("", self)
        self.subtitle.setObjectName("firebaseProject")
        self.subtitle.setStyleSheet("color:#555;")

        self.database_line = QLabel("", self)
        self.database_line.setObjectName("firebaseDatabaseSide")
        self.database_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.banner = QLabel(self)
        self.banner.setObjectName("firebaseMessage")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setVisible(False)
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setObjectName("firebaseRetry")
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(self._on_retry)
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)

        details = QGroupBox("Account", self)
        form = QFormLayout(details)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.values: dict[str, QLabel] = {}
        for key, label in FIELDS:
            value = QLabel("—", details)
            value.setObjectName(f"firebase_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            form.addRow(f"{label}:", value)
        self.claims = QPlainTextEdit(details)
        self.claims.setObjectName("firebaseClaims")
        self.claims.setReadOnly(True)
        self.claims.setMaximumHeight(80)
        self.claims.setPlaceholderText("No custom claims")
        form.addRow("Custom claims:", self.claims)

        self.problems = QLabel(self)
        self.problems.setObjectName("firebaseProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color:#8a4b00;")

        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for key, text, tip in (
            ("create", "Create account", "Create a Firebase account with this user's email"),
            ("link", "Link by email", "Store the uid of the account with this email"),
            ("disable", "Disable", "Disable the account and set the user Inactive"),
            ("enable", "Enable", "Enable the account and set the user Active"),
            ("sign_out", "Sign out everywhere", "Revoke sessions and clear active_token_id"),
            ("reset", "Copy password-reset link", "Copy a reset link to the clipboard"),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"firebase_{key}")
            button.setToolTip(tip)
            button.setEnabled(False)
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("firebaseRefresh")
        self.refresh_button.clicked.connect(self.reload)
        actions.addWidget(self.refresh_button)
        self.buttons["create"].clicked.connect(lambda: self._act("create_account"))
        self.buttons["link"].clicked.connect(lambda: self._act("link_account"))
        self.buttons["disable"].clicked.connect(lambda: self._act("set_enabled", False))
        self.buttons["enable"].clicked.connect(lambda: self._act("set_enabled", True))
        self.buttons["sign_out"].clicked.connect(lambda: self._act("sign_out_everywhere"))
        self.buttons["reset"].clicked.connect(lambda: self._act("password_reset_link"))

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.database_line)
        layout.addLayout(banner_row)
        layout.addWidget(details)
        layout.addWidget(self.problems)
        layout.addWidget(line)
        layout.addLayout(actions)
        layout.addStretch(1)
        self._update_buttons()
        self._show_project()

    # -- what to show ------------------------------------------------------------------------

    def set_accounts(self, accounts: FirebaseAccounts | None) -> None:
        self.accounts = accounts
        self._show_project()
        self.reload()

    def show_user(self, user_id: int | None) -> None:
        """Load the account of `user_id` in the background (None clears the panel)."""
        self.user_id = user_id
        self.reload()

    def reload(self) -> None:
        self.current = None
        self._clear()
        if self.user_id is None:
            self.title.setText("Firebase account")
            self._message("info", "Select a user to see their Firebase account.")
            return
        self.title.setText(f"Firebase account of user {self.user_id}")
        if self.accounts is None:
            self._message("info", "This connection has no Firebase project configured.")
            return
        self._message("info", "Loading the Firebase account…")
        self._set_busy(True)
        accounts, user_id = self.accounts, self.user_id
        self.runner.submit(
            lambda: accounts.load(user_id),
            on_success=self._on_loaded,
            on_failure=self._on_load_failed,
            key=self._key,
            pool="net",
        )

    def _show_project(self) -> None:
        self.subtitle.setText(self.accounts.label if self.accounts else "No Firebase project")

    def _clear(self) -> None:
        for value in self.values.values():
            value.setText("—")
        self.claims.setPlainText("")
        self.problems.setText("")
        self.database_line.setText("")
        self._update_buttons()

    def _on_loaded(self, info: UserAccount) -> None:
        if self.user_id != info.user.id:
            return
        self._set_busy(False)
        self.current = info
        self.title.setText(f"Firebase account of user {info.user.id} · {info.user.email}")
        user = info.user
        self.database_line.setText(
            f"Database: {user.name} · status {user.status.label} · firebase_id "
            f"{user.firebase_id or '(empty)'} · session token "
            f"{'set' if user.active_token_id else 'none'}"
            + (" · system user" if user.is_system else "")
        )
        account = info.account
        if account is None:
            self.values["exists"].setText("No account")
            self.values["uid"].setText(info.user.firebase_id or "(firebase_id is empty)")
        else:
            self.values["exists"].setText("Exists")
            self.values["uid"].setText(account.uid)
            self.values["email"].setText(account.email or "(none)")
            self.values["verified"].setText(_yes(account.email_verified))
            self.values["disabled"].setText(_yes(account.disabled))
            self.values["providers"].setText(", ".join(account.providers) or "none")
            self.values["created"].setText(_when(account.created))
            self.values["last_sign_in"].setText(_when(account.last_sign_in))
            self.values["tokens_valid_after"].setText(_when(account.tokens_valid_after))
            claims = dict(account.custom_claims)
            self.claims.setPlainText(json.dumps(claims, indent=2, sort_keys=True) if claims else "")
        self.problems.setText("\n".join(f"⚠ {p}" for p in info.problems))
        if self._after_load is not None:
            kind, text, retry = self._after_load
            self._after_load = None
            self._message(kind, text, retry=retry)
        else:
            self._hide_message()
        self._update_buttons()
        self.loaded.emit(info)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._after_load = None
        if not isinstance(exc, KnownError):
            self.runner.unhandled.emit(exc)
            return
        self._message("error", exc.message, retry=self.reload)

    # -- actions -----------------------------------------------------------------------------

    def _act(self, method: str, *args: Any) -> None:
        if self.accounts is None or self.user_id is None or self._busy:
            return
        database = self.accounts.database
        if database is not None and database.requires_write_confirmation:
            from desktop.ui.confirm import confirm_write

            what = {
                "create_account": "Create a Firebase account",
                "link_account": "Link the Firebase account with the same email",
                "set_enabled": "Enable the Firebase account"
                if args and args[0]
                else "Disable the Firebase account (and set the user Inactive)",
                "sign_out_everywhere": "Sign out everywhere (revoke refresh tokens)",
                "password_reset_link": "Make a password-reset link",
            }[method]
            email = self.current.user.email if self.current is not None else ""
            if not confirm_write(self, database, f"{what} for user #{self.user_id} {email}."):
                return
        call = getattr(self.accounts, method)
        user_id = self.user_id
        self._run_action(lambda: call(user_id, *args))

    def _run_action(self, fn: Callable[[], ActionResult]) -> None:
        self._set_busy(True)
        self._message("info", "Working…")
        self.runner.submit(
            fn, on_success=self._on_action_done, on_failure=self._on_action_failed, pool="net"
        )

    def _on_action_done(self, result: ActionResult) -> None:
        self._set_busy(False)
        text = result.message
        if result.secret is not None:
            clipboard = QGuiApplication.clipboard()
            clipboard.setText(result.secret)
            text += " It is on the clipboard (not shown, not logged)."
        self._after_load = ("ok", text, None)
        self.action_finished.emit(result)
        self.reload()

    def _on_action_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(exc, KnownError):
            self.runner.unhandled.emit(exc)
            return
        retry = None
        if isinstance(exc, ActionFailed) and exc.retry is not None:
            action = exc.retry
            retry = lambda: self._run_action(action)  # noqa: E731
        # Show the failure over fresh data: the buttons then offer what makes sense now
        # (after "an account with this email exists", Link by email).
        self._after_load = ("error", exc.message, retry)
        self.reload()

    def _on_retry(self) -> None:
        retry, self._retry = self._retry, None
        if retry is not None:
            retry()

    # -- state -------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        info = self.current
        ready = info is not None and not self._busy
        has = bool(info and info.account)
        disabled = bool(info and info.account and info.account.disabled)
        self.buttons["create"].setEnabled(ready and not has and not (info and info.email_match))
        self.buttons["link"].setEnabled(ready and not has and bool(info and info.email_match))
        self.buttons["disable"].setEnabled(ready and has and not disabled)
        self.buttons["enable"].setEnabled(ready and has and disabled)
        self.buttons["sign_out"].setEnabled(ready and has)
        self.buttons["reset"].setEnabled(ready and has)
        self.refresh_button.setEnabled(not self._busy and self.user_id is not None)

    def _message(self, kind: str, text: str, retry: Callable[[], Any] | None = None) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"QLabel {{ {_BANNER[kind]} padding:6px; border-radius:3px; }}")
        self.banner.setVisible(True)
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self.message_shown.emit(kind, text)

    def _hide_message(self) -> None:
        self.banner.setVisible(False)
        self.retry_button.setVisible(False)
        self._retry = None
