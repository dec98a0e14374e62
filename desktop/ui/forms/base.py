"""A form dialog: labelled fields with per-field error messages, Save/Cancel, a busy state."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.core.validation import ValidationError
from desktop.ui.forms.context import EditContext
from desktop.ui.tab_order import apply_reading_order

ERROR_STYLE = "color: #b3261e;"
DISCARD_WARNING = (
    "You have unsaved changes. Press Esc or Cancel again to discard them, or Save to keep them."
)
WARNING_STYLE = "color: #8a5a00;"


class FormDialog(QDialog):
    """Subclasses add fields with `add_field` and implement `save()`."""

    def __init__(self, context: EditContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(520)
        self._errors: dict[str, QLabel] = {}
        self._dirty = False
        self._warned = False
        self._watching = False
        self._fields: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.message = QLabel(self)
        self.message.setObjectName("formMessage")
        self.message.setAccessibleName("Form message")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.setObjectName("formButtons")
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setAccessibleName("Save")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancelButton")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.notice = QLabel(self)
        self.notice.setObjectName("formNotice")
        self.notice.setAccessibleName("Form notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(WARNING_STYLE + " font-weight: bold;")
        self.notice.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        if context.read_only:
            self.save_button.setEnabled(False)
            self.save_button.setToolTip("This profile is read-only.")
            self.show_notice("Read-only profile: you can look but not change anything.")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        apply_reading_order(self)  # fields top to bottom, then Save and Cancel
        if not self._watching:
            self._watch_edits()
        super().showEvent(event)

    # -- unsaved edits --------------------------------------------------------------------

    def _watch_edits(self) -> None:
        """From the first show on, note what the person changes: the signals Qt sends only
        for a person's edits (typed, picked, ticked), and a multi-line text changed while
        it has the focus (the form's own fills, such as a record loaded or credentials
        revealed, are not edits)."""
        self._watching = True
        for line in self.findChildren(QLineEdit):
            line.textEdited.connect(self._edited)
        for combo in self.findChildren(QComboBox):
            combo.activated.connect(self._edited)
        for button in self.findChildren(QAbstractButton):
            if button.isCheckable():
                button.clicked.connect(self._edited)
        for edit in self.findChildren(QPlainTextEdit):
            edit.textChanged.connect(partial(self._text_changed, edit))

    def _text_changed(self, edit: QPlainTextEdit) -> None:
        if edit.hasFocus():
            self._edited()

    def _edited(self, *_: object) -> None:
        self._dirty = True
        self._warned = False  # edits after the warning: warn again before discarding them

    def has_unsaved_edits(self) -> bool:
        return self._dirty

    def reject(self) -> None:
        """Cancel, Esc or closing the window. With unsaved edits the first one only says
        so (nothing typed is lost by a stray key, and nothing modal blocks); the second
        discards them."""
        if self.has_unsaved_edits() and not self.context.read_only and not self._warned:
            self._warned = True
            self.show_message(DISCARD_WARNING, True)
            return
        super().reject()

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        widget.setObjectName(f"{name}Field")
        widget.setAccessibleName(label)
        error = QLabel(self)
        error.setObjectName(f"{name}Error")
        error.setAccessibleName(f"{label} problem")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.setVisible(False)
        column = QWidget(self)
        box = QVBoxLayout(column)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        self.form.addRow(label, column)
        self._fields[name] = widget
        self._errors[name] = error
        return widget

    def field(self, name: str) -> QWidget:
        return self._fields[name]

    def field_error(self, name: str) -> str:
        label = self._errors[name]
        return "" if label.isHidden() else label.text()

    def clear_problems(self) -> None:
        for label in self._errors.values():
            label.clear()
            label.setVisible(False)
        self.message.setVisible(False)

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, text in problems.items():
            label = self._errors.get(name)
            if label is None:
                self.show_message(text, True)
                continue
            label.setText(text)
            label.setVisible(True)
        first = next((self._fields[n] for n in problems if n in self._fields), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_notice(self, text: str) -> None:
        """A standing remark about this record or profile (read-only, system user)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setVisible(True)

    def set_busy(self, busy: bool, text: str = "Saving…") -> None:
        self.save_button.setEnabled(not busy and not self.context.read_only)
        if busy:
            self.show_message(text)
        else:
            self.message.setVisible(False)

    def show_failure(self, exc: BaseException) -> None:
        """Map a failed save to the form; the typed values stay where they are."""
        self.set_busy(False)
        if isinstance(exc, ValidationError):
            self.show_problems(exc.problems)
            self.show_message("Nothing was saved: please correct the marked fields.", True)
        elif isinstance(exc, KnownError):
            if exc.field:
                self.show_problems({exc.field: exc.message})
            self.show_message(f"Nothing was saved: {exc.message}", True)
        else:
            raise exc

    def save(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
