"""Create or edit one user: schema-aware fields, email checks, conflicts, production care."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QMessageBox, QWidget

from desktop.core.errors import KnownError
from desktop.core.user_status import UserStatus
from desktop.services import lookup, users
from desktop.services.records import UserRecord
from desktop.services.writes import ConflictError, NeedsConfirmation
from desktop.ui.confirm import confirm_write
from desktop.ui.forms.base import WARNING_STYLE, FormDialog
from desktop.ui.forms.conflict_dialog import ConflictDialog, Resolution
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.organization_picker import OrganizationPicker


def local_time(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M %Z") if value else "never"


class UserForm(FormDialog):
    """`user_id=None` creates a new user."""

    saved = Signal(object)  # the saved UserRecord

    def __init__(
        self,
        context: EditContext,
        user_id: int | None = None,
        organization: tuple[int, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "New user" if user_id is None else "Edit user", parent)
        self.setObjectName("userForm")
        self.user_id = user_id
        self.record: UserRecord | None = None
        self._overwrite = False
        self.name = self.add_field("name", "Name", QLineEdit(self))
        self.email = self.add_field("email", "Email", QLineEdit(self))
        self.email_warning = QLabel(self)
        self.email_warning.setObjectName("emailWarning")
        self.email_warning.setAccessibleName("Email warning")
        self.email_warning.setStyleSheet(WARNING_STYLE)
        self.email_warning.setWordWrap(True)
        self.email_warning.setVisible(False)
        self.form.addRow("", self.email_warning)
        self.organization = self.add_field(
            "organization_id", "Organization", OrganizationPicker(context, self)
        )
        status = QComboBox(self)
        for value in UserStatus:
            status.addItem(value.label, value)
        self.status = self.add_field("status", "Status", status)
        self.is_system = self.add_field("is_system", "System user", QCheckBox(self))
        self.firebase_id = self.add_field("firebase_id", "Firebase UID", QLineEdit(self))
        self.joined = QLabel("—", self)
        self.joined.setObjectName("dateJoined")
        self.joined.setAccessibleName("Date joined")
        self.last_login = QLabel("—", self)
        self.last_login.setObjectName("lastLogin")
        self.last_login.setAccessibleName("Last login")
        self.form.addRow("Joined", self.joined)
        self.form.addRow("Last login", self.last_login)
        self._email_timer = QTimer(self)
        self._email_timer.setSingleShot(True)
        self._email_timer.setInterval(300)
        self._email_timer.timeout.connect(self._check_email)
        assert isinstance(self.email, QLineEdit)
        self.email.textEdited.connect(lambda _: self._email_timer.start())
        if organization is not None:
            assert isinstance(self.organization, OrganizationPicker)
            self.organization.set_organization(*organization)
        if user_id is not None:
            self.set_busy(True, "Loading…")
            context.runner.submit(
                partial(lookup.user, context.database, user_id),
                on_success=self._fill,
                on_failure=self.show_failure,
            )

    # -- loading ---------------------------------------------------------------------------

    def _fill(self, loaded: tuple[UserRecord, str]) -> None:
        record, org_name = loaded
        self.record = record
        self._overwrite = False
        self.set_busy(False)
        self.clear_problems()
        assert isinstance(self.name, QLineEdit) and isinstance(self.email, QLineEdit)
        assert isinstance(self.firebase_id, QLineEdit) and isinstance(self.status, QComboBox)
        assert isinstance(self.is_system, QCheckBox)
        assert isinstance(self.organization, OrganizationPicker)
        self.name.setText(record.name)
        self.email.setText(record.email)
        self.organization.set_organization(record.organization_id, org_name)
        self.status.setCurrentIndex(self.status.findData(record.status))
        self.is_system.setChecked(record.is_system)
        self.firebase_id.setText(record.firebase_id or "")
        self.joined.setText(local_time(record.date_joined))
        self.last_login.setText(local_time(record.last_login))
        if record.is_system:
            self.show_notice("This is a system user: changes need an extra confirmation.")

    # -- checks ----------------------------------------------------------------------------

    def _check_email(self) -> None:
        assert isinstance(self.email, QLineEdit)
        text = self.email.text().strip()
        if not text:
            return
        self.context.runner.submit(
            partial(users.check_email, self.context.database, text, self.user_id),
            on_success=self._show_email_check,
            on_failure=lambda exc: None,
            key=f"email-check:{id(self)}",
        )

    def _show_email_check(self, check: users.EmailCheck) -> None:
        if check.taken_by is not None:
            text = f"User #{check.taken_by} already has this email address."
        elif check.case_variants:
            text = (
                "Warning: differs only in letter case from "
                + ", ".join(check.case_variants[:3])
                + ". PostgreSQL treats them as different addresses; sign-in may not."
            )
        else:
            text = ""
        self.email_warning.setText(text)
        self.email_warning.setVisible(bool(text))

    # -- saving ----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        assert isinstance(self.name, QLineEdit) and isinstance(self.email, QLineEdit)
        assert isinstance(self.firebase_id, QLineEdit) and isinstance(self.status, QComboBox)
        assert isinstance(self.is_system, QCheckBox)
        assert isinstance(self.organization, OrganizationPicker)
        return {
            "name": self.name.text(),
            "email": self.email.text(),
            "organization_id": self.organization.organization_id or 0,
            "status": self.status.currentData(),
            "is_system": self.is_system.isChecked(),
            "firebase_id": self.firebase_id.text(),
        }

    def changes(self) -> dict[str, Any]:
        values = self.values()
        if self.record is None:
            return values
        return {
            k: v
            for k, v in values.items()
            if getattr(self.record, k) != (v or None if k == "firebase_id" else v)
        }

    def save(self, confirm_system: bool = False) -> None:
        if self.context.read_only:
            return
        self.clear_problems()
        changes = self.changes()
        if self.record is not None and not changes:
            self.accept()
            return
        try:
            users.validate(changes)  # pure checks first: no round trip, no confirmation asked
        except KnownError as exc:
            self.show_failure(exc)
            return
        if self.context.production and not self._confirm_production(changes):
            return
        self.set_busy(True)
        db, actor, undo = self.context.database, self.context.actor, self.context.undo
        if self.record is None:
            job = partial(users.create, db, actor, changes, undo=undo)
        else:
            job = partial(
                users.update,
                db,
                actor,
                self.record.id,
                self.record.version,
                changes,
                overwrite=self._overwrite,
                confirm_system=confirm_system,
                undo=undo,
            )
        self.context.runner.submit(job, on_success=self._saved, on_failure=self._failed)

    def _confirm_production(self, changes: dict[str, Any]) -> bool:
        what = "new user" if self.record is None else f"user #{self.record.id}"
        lines = "\n".join(f"• {k}: {v}" for k, v in changes.items())
        return confirm_write(self, self.context.database, f"Save {what}:\n{lines}")

    def _saved(self, record: UserRecord) -> None:
        self.set_busy(False)
        self.record = record
        self.saved.emit(record)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, NeedsConfirmation):
            self.set_busy(False)
            answer = QMessageBox.warning(
                self,
                "System user",
                exc.message,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.save(confirm_system=True)
            return
        if isinstance(exc, ConflictError):
            self.set_busy(False)
            self.resolve_conflict(exc)
            return
        self.show_failure(exc)

    def resolve_conflict(self, exc: ConflictError) -> None:
        mine = {k: str(v) if v is not None else None for k, v in self.values().items()}
        dialog = ConflictDialog(exc.message, mine, exc.theirs, self)
        dialog.exec()
        if dialog.resolution is Resolution.RELOAD and self.user_id is not None:
            self.context.runner.submit(
                partial(lookup.user, self.context.database, self.user_id),
                on_success=self._fill,
                on_failure=self.show_failure,
            )
        elif dialog.resolution is Resolution.OVERWRITE:
            self._overwrite = True
            self.save()
        else:
            self.show_message(exc.message + " Your changes are still here, not saved.", True)
