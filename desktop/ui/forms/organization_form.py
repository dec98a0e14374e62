"""Create or rename an organization."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from desktop.core.errors import KnownError
from desktop.services import lookup, organizations
from desktop.services.records import OrganizationRecord
from desktop.services.writes import ConflictError
from desktop.ui.confirm import confirm_write
from desktop.ui.forms.base import FormDialog
from desktop.ui.forms.conflict_dialog import ConflictDialog, Resolution
from desktop.ui.forms.context import EditContext


class OrganizationForm(FormDialog):
    saved = Signal(object)

    def __init__(
        self, context: EditContext, org_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            context, "New organization" if org_id is None else "Rename organization", parent
        )
        self.setObjectName("organizationForm")
        self.org_id = org_id
        self.record: OrganizationRecord | None = None
        self._overwrite = False
        self.name = QLineEdit(self)
        self.add_field("name", "Name", self.name)
        if org_id is not None:
            self.set_busy(True, "Loading…")
            context.runner.submit(
                partial(lookup.organization, context.database, org_id),
                on_success=self._fill,
                on_failure=self.show_failure,
            )

    def _fill(self, record: OrganizationRecord) -> None:
        self.record = record
        self.set_busy(False)
        self.name.setText(record.name)

    def save(self) -> None:
        if self.context.read_only:
            return
        self.clear_problems()
        name = self.name.text()
        try:
            organizations.clean_name(name)
        except KnownError as exc:
            self.show_failure(exc)
            return
        if self.context.production and not confirm_write(
            self, self.context.database, f"Organization name: {name.strip()}"
        ):
            return
        self.set_busy(True)
        db, actor = self.context.database, self.context.actor
        if self.record is None:
            job = partial(organizations.create, db, actor, name)
        else:
            job = partial(
                organizations.rename,
                db,
                actor,
                self.record.id,
                self.record.version,
                name,
                overwrite=self._overwrite,
                undo=self.context.undo,
            )
        self.context.runner.submit(job, on_success=self._saved, on_failure=self._failed)

    def _saved(self, record: OrganizationRecord) -> None:
        self.set_busy(False)
        self.saved.emit(record.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ConflictError):
            self.show_failure(exc)
            return
        self.set_busy(False)
        dialog = ConflictDialog(exc.message, {"name": self.name.text()}, exc.theirs, self)
        dialog.exec()
        if dialog.resolution is Resolution.OVERWRITE:
            self._overwrite = True
            self.save()
        elif dialog.resolution is Resolution.RELOAD and self.org_id is not None:
            self.context.runner.submit(
                partial(lookup.organization, self.context.database, self.org_id),
                on_success=self._fill,
                on_failure=self.show_failure,
            )
