"""Choosing the revision for "Upgrade to…", "Downgrade to…" and "Stamp…"."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.services.migrations import BASE, Action, MigrationStatus, RevisionState

_BASE_TEXT = "base — no revision (the schema's tables are removed)"
_STAMP_BASE_TEXT = "base — mark the database as having no revision"


def choices(action: Action, status: MigrationStatus) -> list[tuple[str, str]]:
    """(revision, text) pairs that make sense as a target of `action` from `status`."""

    def text(rev: str, message: str) -> str:
        return f"{rev} — {message}"

    if action is Action.UPGRADE:
        return [
            (r.revision, text(r.revision, r.message))
            for r in reversed(status.history)
            if r.state is RevisionState.PENDING
        ]
    if action is Action.DOWNGRADE:
        found = [
            (r.revision, text(r.revision, r.message))
            for r in status.history
            if r.state is RevisionState.APPLIED and not r.is_current
        ]
        return [*found, (BASE, _BASE_TEXT)] if status.current else found
    return [(r.revision, text(r.revision, r.message)) for r in status.history] + [
        (BASE, _STAMP_BASE_TEXT)
    ]


class RevisionChooser(QDialog):
    def __init__(
        self, action: Action, status: MigrationStatus, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("revisionChooser")
        verb = {Action.UPGRADE: "Upgrade to", Action.DOWNGRADE: "Downgrade to"}.get(action, "Stamp")
        self.setWindowTitle(f"{verb}…")
        self.action = action
        self.combo = QComboBox(self)
        self.combo.setObjectName("revisionChoice")
        self.combo.setAccessibleName("Target revision")
        for revision, label in choices(action, status):
            self.combo.addItem(label, revision)
        hint = QLabel(
            f"{verb} which revision? The next step shows the SQL before anything runs.", self
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Preview…")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("revisionPreview")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("revisionCancel")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.combo.count() > 0)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.combo)
        layout.addWidget(buttons)

    @property
    def revision(self) -> str:
        return str(self.combo.currentData())
