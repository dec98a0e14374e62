"""The connection dialog: create, edit, duplicate, delete, test and open profiles.

Testing, opening and every keyring call run through the Runner; the window stays
responsive. Reading and writing the profiles file (small, local) happens here directly.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.core.profiles import Profile, ProfileError
from desktop.core.secrets import SecretStoreError
from desktop.services.connect import ConnectionReport, Connector, Opened
from desktop.services.failures import is_password_problem
from desktop.services.firebase import profile_settings
from desktop.ui.environment import style_for
from desktop.ui.profile_form import ProfileForm, environment_icon
from desktop.ui.runner import Runner

log = logging.getLogger(__name__)

NEW_PROFILE = Profile(name="New profile", host="localhost", database="postgres", user="postgres")


class ConnectionDialog(QDialog):
    """Pick, edit and test connection profiles; `opened` carries the connected database."""

    #: A profile was opened: (Opened) with the Database and any notice for the user.
    opened = Signal(object)
    #: A test finished: (ConnectionReport or KnownError). For tests and screen readers.
    test_finished = Signal(object)
    #: The keyring status check finished: (str | None) problem, None when usable.
    keyring_checked = Signal(object)

    def __init__(self, runner: Runner, connector: Connector, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionDialog")
        self.setWindowTitle("Connect to a database — Tenantry")
        self.resize(880, 680)
        self.runner = runner
        self.connector = connector
        self.keyring_problem: str | None = None
        self._editing: str | None = None  # name of the stored profile in the form, if any
        self._busy = False

        self.list = QListWidget(self)
        self.list.setObjectName("profileList")
        self.list.setAccessibleName("Connection profiles")
        self.new_button = QPushButton("New", self)
        self.duplicate_button = QPushButton("Duplicate", self)
        self.delete_button = QPushButton("Delete", self)
        for button, name in (
            (self.new_button, "newProfile"),
            (self.duplicate_button, "duplicateProfile"),
            (self.delete_button, "deleteProfile"),
        ):
            button.setObjectName(name)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.new_button)
        list_buttons.addWidget(self.duplicate_button)
        list_buttons.addWidget(self.delete_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("Profiles", self))
        left.addWidget(self.list, 1)
        left.addLayout(list_buttons)

        self.form = ProfileForm(self)
        self.keyring_label = QLabel("Checking the system keyring…", self)
        self.keyring_label.setObjectName("keyringState")
        self.keyring_label.setWordWrap(True)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("testResult")
        self.outcome.setAccessibleName("Test result")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setMinimumHeight(110)
        self.outcome.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.outcome.setStyleSheet("padding: 6px; border: 1px solid palette(mid);")

        self.buttons = QDialogButtonBox(self)
        self.test_button = self.buttons.addButton("Test", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = self.buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("closeButton")
        self.test_button.setObjectName("testButton")
        self.save_button.setObjectName("saveButton")
        self.open_button.setObjectName("openButton")
        self.open_button.setDefault(True)

        right = QVBoxLayout()
        right.addWidget(self.form)
        right.addWidget(self.keyring_label)
        right.addWidget(self.outcome, 1)
        right.addWidget(self.buttons)
        body = QHBoxLayout(self)
        body.addLayout(left, 1)
        body.addLayout(right, 3)

        self.list.currentItemChanged.connect(self._on_pick)
        self.list.itemDoubleClicked.connect(lambda _item: self.open_profile())
        self.new_button.clicked.connect(self.new_profile)
        self.duplicate_button.clicked.connect(self.duplicate_profile)
        self.delete_button.clicked.connect(self.delete_profile)
        self.test_button.clicked.connect(self.test_profile)
        self.save_button.clicked.connect(lambda: self.save_profile())
        self.open_button.clicked.connect(self.open_profile)
        self.close_button.clicked.connect(self.reject)
        self.form.environment.currentIndexChanged.connect(self._paint_environment)

        self.reload()
        self._check_keyring()

    # -- list --

    def reload(self, select: str | None = None) -> None:
        try:
            profiles = self.connector.store.load()
        except KnownError as exc:
            self._say_error(exc)
            profiles = []
        self.list.blockSignals(True)
        self.list.clear()
        for profile in profiles:
            mode = " · read-only" if profile.read_only else ""
            item = QListWidgetItem(environment_icon(profile.environment), f"{profile.name}{mode}")
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            item.setToolTip(f"{style_for(profile.environment).label}: {profile.address}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        target = select or self._editing or (profiles[0].name if profiles else None)
        if target is None:
            self.new_profile()
            return
        self.select(target)

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentItem(item)
                return

    def _on_pick(self, current: QListWidgetItem | None, _previous: object = None) -> None:
        if current is None:
            return
        name = current.data(Qt.ItemDataRole.UserRole)
        try:
            profile = self.connector.store.get(name)
        except KnownError as exc:
            self._say_error(exc)
            return
        self._editing = profile.name
        self.form.set_profile(profile)
        self._paint_environment()
        self._refresh_password_hint()
        self.outcome.clear()

    def _current_profile(self) -> Profile | None:
        try:
            profile = self.form.profile()
            profile_settings.check(profile)
        except ProfileError as exc:
            self._say_error(exc)
            return None
        except KnownError as exc:  # the Firebase settings: name the form's field
            fields = {"project_id": "firebase_project", "emulator_host": "firebase_emulator"}
            self._say_error(KnownError(exc.message, field=fields.get(exc.field or "")))
            return None
        return profile

    # -- create, duplicate, delete, save --

    def new_profile(self) -> None:
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self._editing = None
        name = NEW_PROFILE.name
        if self.connector.store.exists(name):
            name = self.connector.store.duplicate_name(name)
        self.form.set_profile(replace(NEW_PROFILE, name=name))
        self._paint_environment()
        self._refresh_password_hint()
        self.outcome.setText("A new profile: fill it in, then Test, Save or Open.")
        self.form.name.setFocus()
        self.form.name.selectAll()

    def duplicate_profile(self) -> None:
        profile = self._current_profile()
        if profile is None:
            return
        copy = replace(profile, name=self.connector.store.duplicate_name(profile.name))
        try:
            self.connector.store.add(copy)
        except KnownError as exc:
            self._say_error(exc)
            return
        self._editing = copy.name
        self.reload(select=copy.name)
        self.outcome.setText(
            f"Duplicated as {copy.name!r}. The password was not copied: type it, then Save or Open."
        )

    def delete_profile(self) -> None:
        if self._editing is None:
            self.new_profile()
            return
        name = self._editing
        answer = QMessageBox.question(
            self,
            "Delete profile",
            f"Delete the profile {name!r} and its saved password?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.delete_now(name)

    def delete_now(self, name: str) -> None:
        """Delete without asking (the question was already answered)."""
        self._set_busy(True, f"Deleting {name!r}…")
        self.runner.submit(
            partial(self.connector.remove, name),
            on_success=partial(self._on_deleted, name),
            on_failure=self._on_failure,
            pool="net",
        )

    def _on_deleted(self, name: str, problem: str | None) -> None:
        self._set_busy(False)
        self._editing = None
        self.reload()
        self.outcome.setText(f"Deleted {name!r}." + (f"\n{problem}" if problem else ""))

    def save_profile(self, *, store_password: bool = True) -> bool:
        """Write the form to the profiles file; with "Save in the system keyring" and a typed
        password, also store the password (the Save button is an explicit request; Open
        passes `store_password=False` and saves it only after the connection succeeded)."""
        profile = self._current_profile()
        if profile is None:
            return False
        key_file = self.form.firebase_key_file()  # read before reload() refills the form
        old = self._editing
        try:
            if old is None:
                self.connector.store.add(profile)
            else:
                self.connector.store.update(old, profile)
        except KnownError as exc:
            self._say_error(exc)
            return False
        self._editing = profile.name
        self.reload(select=profile.name)
        message = f"Saved {profile.name!r}."
        typed = self.form.typed_password()
        if old is not None and old != profile.name:
            self.runner.submit(
                partial(self.connector.rename_secrets, old, profile.name),
                on_success=self._show_notice,
                on_failure=self._on_failure,
                pool="net",
            )
        if not store_password:
            pass
        elif typed and self.form.remember.isChecked() and self.keyring_problem is None:
            self.runner.submit(
                partial(self.connector.save_password, profile.name, typed),
                on_success=lambda _: self._show_notice("Password saved in the system keyring."),
                on_failure=self._on_failure,
                pool="net",
            )
            message += " Saving the password in the system keyring…"
        elif typed:
            self.connector.use_for_session(profile.name, typed)
            message += " The password is kept for this session only."
        if key_file:
            self.runner.submit(
                partial(profile_settings.import_key, profile, key_file),
                on_success=lambda _: self._key_imported(),
                on_failure=self._on_failure,
                pool="net",
            )
            message += " Importing the Firebase key into the system keyring…"
        self.outcome.setText(message)
        return True

    def _key_imported(self) -> None:
        self.form.firebase_key.clear()
        self._show_notice("Firebase key saved in the system keyring (the file was not kept).")

    # -- test and open --

    def test_profile(self) -> None:
        profile = self._current_profile()
        if profile is None:
            return
        self._set_busy(True, f"Testing {profile.address}… (up to {profile.connect_timeout} s)")
        self.runner.submit(
            partial(self.connector.test, profile, self.form.typed_password()),
            on_success=self._on_tested,
            on_failure=self._on_test_failed,
            key=f"profile-test:{id(self)}",
            pool="net",
        )

    def _on_tested(self, report: ConnectionReport) -> None:
        self._set_busy(False)
        self.outcome.setStyleSheet("padding: 6px; border: 1px solid #2e7d32;")
        self.outcome.setText("Connected.\n" + "\n".join(report.lines()))
        self.test_finished.emit(report)

    def _on_test_failed(self, exc: BaseException) -> None:
        self._on_failure(exc)
        self.test_finished.emit(exc)

    def open_profile(self) -> None:
        if not self.save_profile_if_changed():
            return
        profile = self._current_profile()
        if profile is None:
            return
        typed = self.form.typed_password()
        remember = self.form.remember.isChecked() and self.keyring_problem is None
        self._set_busy(
            True, f"Connecting to {profile.address}… (up to {profile.connect_timeout} s)"
        )
        self.runner.submit(
            partial(self.connector.open, profile, typed, remember=remember),
            on_success=self._on_opened,
            on_failure=self._on_failure,
            key=f"profile-open:{id(self)}",
            pool="net",
        )

    def save_profile_if_changed(self) -> bool:
        profile = self._current_profile()
        if profile is None:
            return False
        if self._editing is not None:
            try:
                if self.connector.store.get(self._editing) == profile:
                    return True
            except KnownError:
                pass
        typed = self.form.password.text()
        saved = self.save_profile(store_password=False)
        self.form.password.setText(typed)  # keep it for the connection that follows
        return saved

    def _on_opened(self, opened: Opened) -> None:
        self._set_busy(False)
        self.opened.emit(opened)
        self.accept()

    # -- keyring --

    def _check_keyring(self) -> None:
        self.runner.submit(
            self.connector.secrets.check,
            on_success=lambda name: self._on_keyring(None, str(name)),
            on_failure=self._on_keyring_failed,
            pool="net",
        )

    def _on_keyring_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, SecretStoreError):
            raise exc
        self._on_keyring(exc.message, None)

    def _on_keyring(self, problem: str | None, backend: str | None) -> None:
        self.keyring_problem = problem
        if problem is None:
            self.keyring_label.setText(f"Passwords are saved in the system keyring ({backend}).")
            self.keyring_label.setStyleSheet("color: palette(mid);")
            self.form.remember.setEnabled(True)
        else:
            self.keyring_label.setText(
                f"⚠ {problem} A password you type is used for this session only."
            )
            self.keyring_label.setStyleSheet(
                "background: #fff4e5; color: #663c00; padding: 6px; border: 1px solid #b26a00;"
            )
            self.form.remember.setChecked(False)
            self.form.remember.setEnabled(False)
        self._refresh_password_hint()
        self.keyring_checked.emit(problem)

    def _refresh_password_hint(self) -> None:
        if self.keyring_problem is not None:
            text = "Type the password to use it for this session only (never written to disk)."
        else:
            text = (
                "Empty: the saved password, ~/.pgpass or none. A typed password is saved "
                "only after it connects, or when you press Save."
            )
        self.form.password_hint.setText(text)

    # -- feedback --

    def _set_busy(self, busy: bool, message: str | None = None) -> None:
        self._busy = busy
        for button in (
            self.test_button,
            self.open_button,
            self.save_button,
            self.delete_button,
            self.duplicate_button,
        ):
            button.setEnabled(not busy)
        if message:
            self.outcome.setStyleSheet("padding: 6px; border: 1px solid palette(mid);")
            self.outcome.setText(message)

    @property
    def busy(self) -> bool:
        return self._busy

    def _on_failure(self, exc: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(exc, KnownError):
            raise exc  # a bug: the runner's caller (pytest, the excepthook) must see it
        self._say_error(exc)
        if is_password_problem(exc):
            self.form.password.selectAll()

    def _say_error(self, exc: KnownError) -> None:
        self.outcome.setStyleSheet(
            "padding: 6px; border: 1px solid #b3261e; background: #fdecea; color: #5f2120;"
        )
        self.outcome.setText(exc.message)
        self.form.show_error(exc.field)

    def _show_notice(self, notice: str | None) -> None:
        if notice:
            self.outcome.setText(notice)

    def _paint_environment(self, *_: object) -> None:
        env = style_for(self.form.environment.currentData() or "development")
        self.form.environment.setStyleSheet(
            f"QComboBox {{ background: {env.background}; color: {env.foreground}; }}"
        )
