"""Choosing an organization by typing part of its name (searched in the background)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from desktop.services import lookup
from desktop.ui.forms.context import EditContext


class OrganizationPicker(QLineEdit):
    """A line edit with a completer of matching organizations; `organization_id` is the choice."""

    chosen = Signal(int)

    def __init__(self, context: EditContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._choices: dict[str, int] = {}
        self.organization_id: int | None = None
        self.setPlaceholderText("Type part of the organization's name or its id")
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._pick)
        self.setCompleter(completer)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._search)
        self.textEdited.connect(self._on_edited)

    def set_organization(self, org_id: int, name: str) -> None:
        label = self._label(org_id, name)
        self._choices[label] = org_id
        self.organization_id = org_id
        self.setText(label)

    @staticmethod
    def _label(org_id: int, name: str) -> str:
        return f"{name}  (#{org_id})"

    def _on_edited(self, text: str) -> None:
        self.organization_id = self._choices.get(text)
        self._debounce.start()

    def _search(self) -> None:
        self._context.runner.submit(
            partial(lookup.organizations_named, self._context.database, self.text()),
            on_success=self._show,
            on_failure=lambda exc: self.setToolTip(str(exc)),
            key=f"org-picker:{id(self)}",
        )

    def _show(self, rows: list[tuple[int, str]]) -> None:
        labels = []
        for org_id, name in rows:
            label = self._label(org_id, name)
            self._choices[label] = org_id
            labels.append(label)
        self._model.setStringList(labels)
        if self.hasFocus() and labels:
            self.completer().complete()

    def _pick(self, label: str) -> None:
        self.organization_id = self._choices.get(label)
        if self.organization_id is not None:
            self.chosen.emit(self.organization_id)
