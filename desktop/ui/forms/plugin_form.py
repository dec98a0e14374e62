"""Create or edit a plugin: JSON editors; credentials masked until deliberately revealed."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QMessageBox, QPushButton, QWidget

from desktop.core.errors import KnownError
from desktop.services import plugins
from desktop.services.records import PluginRecord
from desktop.services.writes import ConflictError
from desktop.ui.confirm import confirm_write
from desktop.ui.forms.base import FormDialog
from desktop.ui.forms.conflict_dialog import ConflictDialog, Resolution
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.json_editor import JsonEditor
from desktop.ui.forms.organization_picker import OrganizationPicker


class PluginForm(FormDialog):
    saved = Signal(object)

    def __init__(
        self,
        context: EditContext,
        plugin_id: int | None = None,
        organization: tuple[int, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "New plugin" if plugin_id is None else "Edit plugin", parent)
        self.setObjectName("pluginForm")
        self.setMinimumWidth(640)
        self.plugin_id = plugin_id
        self.record: PluginRecord | None = None
        self.revealed = plugin_id is None  # a new plugin's credentials are typed in clear
        self._overwrite = False
        self.title_edit = self.add_field("title", "Title", QLineEdit(self))
        self.source_edit = self.add_field("data_source", "Data source", QLineEdit(self))
        self.organization = self.add_field(
            "organization_id", "Organization", OrganizationPicker(context, self)
        )
        self.properties = JsonEditor("Properties", self)
        self.add_field("properties", "Properties", self.properties)
        self.credentials = JsonEditor("Credentials", self)
        holder = QWidget(self)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.credentials, 1)
        self.reveal_button = QPushButton("Reveal…", self)
        self.reveal_button.setObjectName("revealCredentialsButton")
        self.reveal_button.setAccessibleName("Reveal credentials")
        self.reveal_button.setToolTip("Show the real values. Revealing is recorded in the audit.")
        self.reveal_button.clicked.connect(self.reveal)
        row.addWidget(self.reveal_button)
        self.add_field("credentials", "Credentials", holder)
        if organization is not None:
            assert isinstance(self.organization, OrganizationPicker)
            self.organization.set_organization(*organization)
        if plugin_id is None:
            self.reveal_button.setVisible(False)
            self.credentials.set_value({})
            self.properties.set_value({})
        else:
            self.credentials.set_read_only(True)
            self.set_busy(True, "Loading…")
            context.runner.submit(
                partial(_load, context, plugin_id),
                on_success=self._fill,
                on_failure=self.show_failure,
            )
        if context.read_only:
            self.reveal_button.setEnabled(False)
            self.reveal_button.setToolTip("Credentials cannot be revealed on a read-only profile.")

    def _fill(self, loaded: tuple[PluginRecord, str]) -> None:
        record, org_name = loaded
        self.record = record
        self.set_busy(False)
        self.clear_problems()
        assert isinstance(self.title_edit, QLineEdit) and isinstance(self.source_edit, QLineEdit)
        assert isinstance(self.organization, OrganizationPicker)
        self.title_edit.setText(record.title)
        self.source_edit.setText(record.data_source)
        self.organization.set_organization(record.organization_id, org_name)
        self.properties.set_value(record.properties)
        self.credentials.set_value(record.credentials)  # masked by the service
        self.credentials.set_read_only(True)
        self.credentials.status.setText("Hidden. Use Reveal… to see or change them.")
        self.credentials.status.setStyleSheet("")
        self.revealed = False

    def reveal(self) -> None:
        if self.plugin_id is None or self.context.read_only:
            return
        answer = QMessageBox.question(
            self,
            "Reveal credentials?",
            "Show this plugin's credentials in clear? The reveal is recorded in the audit trail.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.context.runner.submit(
            partial(
                plugins.reveal_credentials,
                self.context.database,
                self.context.actor,
                self.plugin_id,
            ),
            on_success=self._revealed,
            on_failure=self.show_failure,
        )

    def _revealed(self, credentials: Any) -> None:
        self.credentials.set_value(credentials)
        self.credentials.set_read_only(self.context.read_only)
        self.revealed = True
        self.reveal_button.setEnabled(False)

    def changes(self) -> dict[str, Any]:
        assert isinstance(self.title_edit, QLineEdit) and isinstance(self.source_edit, QLineEdit)
        assert isinstance(self.organization, OrganizationPicker)
        values: dict[str, Any] = {
            "title": self.title_edit.text(),
            "data_source": self.source_edit.text(),
            "organization_id": self.organization.organization_id or 0,
            "properties": self.properties.text.toPlainText(),
        }
        if self.revealed:
            values["credentials"] = self.credentials.text.toPlainText()
        if self.record is None:
            return values
        return {k: v for k, v in values.items() if _differs(self.record, k, v)}

    def save(self) -> None:
        if self.context.read_only:
            return
        self.clear_problems()
        changes = self.changes()
        if self.record is not None and not changes:
            self.accept()
            return
        try:
            plugins.validate(changes)
        except KnownError as exc:
            self.show_failure(exc)
            return
        if self.context.production:
            shown = ", ".join(sorted(changes))
            if not confirm_write(self, self.context.database, f"Save plugin fields: {shown}"):
                return
        self.set_busy(True)
        db, actor = self.context.database, self.context.actor
        if self.record is None:
            job = partial(plugins.create, db, actor, changes)
        else:
            job = partial(
                plugins.update,
                db,
                actor,
                self.record.id,
                self.record.version,
                changes,
                overwrite=self._overwrite,
                undo=self.context.undo,
            )
        self.context.runner.submit(job, on_success=self._saved, on_failure=self._failed)

    def _saved(self, record: PluginRecord) -> None:
        self.set_busy(False)
        self.saved.emit(record.id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ConflictError):
            self.set_busy(False)
            dialog = ConflictDialog(
                exc.message, {k: str(v) for k, v in self.changes().items()}, exc.theirs, self
            )
            dialog.exec()
            if dialog.resolution is Resolution.OVERWRITE:
                self._overwrite = True
                self.save()
            elif dialog.resolution is Resolution.RELOAD and self.plugin_id is not None:
                self.context.runner.submit(
                    partial(_load, self.context, self.plugin_id),
                    on_success=self._fill,
                    on_failure=self.show_failure,
                )
            return
        self.show_failure(exc)


def _differs(record: PluginRecord, key: str, value: Any) -> bool:
    if key in ("properties", "credentials"):
        try:
            import json

            return bool(json.loads(value) != getattr(record, key))
        except ValueError:
            return True
    return bool(getattr(record, key) != value)


def _load(context: EditContext, plugin_id: int) -> tuple[PluginRecord, str]:
    from desktop.services import lookup

    record = plugins.load_masked(context.database, plugin_id)
    return record, lookup.organization(context.database, record.organization_id).name
