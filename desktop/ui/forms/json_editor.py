"""A JSON text editor: syntax colours, live validation, pretty-printing, optional masking."""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.core.validation import json_field


def _format(color: str, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class JsonHighlighter(QSyntaxHighlighter):
    RULES = (
        (r'"(?:[^"\\]|\\.)*"(?=\s*:)', _format("#1f5fa8", bold=True)),  # keys
        (r':\s*"(?:[^"\\]|\\.)*"', _format("#2e7d32")),  # string values
        (r"\b-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b", _format("#8a3ffc")),  # numbers
        (r"\b(?:true|false|null)\b", _format("#b26a00", bold=True)),
    )

    def __init__(self, document: Any) -> None:
        super().__init__(document)
        self._rules = [(QRegularExpression(p), f) for p, f in self.RULES]

    def highlightBlock(self, text: str) -> None:
        for expression, fmt in self._rules:
            matches = expression.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), fmt)


class JsonEditor(QWidget):
    """Edits one JSON document; `value()` raises ValueError with a message when it is invalid."""

    validity_changed = Signal(bool)

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self.text = QPlainTextEdit(self)
        self.text.setObjectName(f"{label.lower()}Json")
        self.text.setAccessibleName(f"{label} JSON")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMinimumHeight(110)
        self.highlighter = JsonHighlighter(self.text.document())
        self.status = QLabel(self)
        self.status.setObjectName(f"{label.lower()}JsonStatus")
        self.status.setAccessibleName(f"{label} JSON status")
        self.pretty = QPushButton("Pretty-print", self)
        self.pretty.setObjectName(f"{label.lower()}PrettyButton")
        self.pretty.setAccessibleName(f"Pretty-print {label}")
        self.pretty.clicked.connect(self.pretty_print)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.pretty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.text.textChanged.connect(self._validate)

    def set_value(self, value: Any) -> None:
        self.text.setPlainText(json.dumps(value, indent=2, ensure_ascii=False))

    def value(self) -> Any:
        return json_field(self._label, self.text.toPlainText())

    def pretty_print(self) -> None:
        try:
            self.set_value(self.value())
        except ValueError:
            pass  # the status line already says what is wrong

    def set_read_only(self, read_only: bool) -> None:
        self.text.setReadOnly(read_only)
        self.pretty.setEnabled(not read_only)

    def _validate(self) -> None:
        try:
            self.value()
        except ValueError as exc:
            self.status.setText(re.sub(r"\s+", " ", str(exc)))
            self.status.setStyleSheet("color: #b3261e;")
            self.validity_changed.emit(False)
        else:
            self.status.setText("Valid JSON")
            self.status.setStyleSheet("color: #2e7d32;")
            self.validity_changed.emit(True)
