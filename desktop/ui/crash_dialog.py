"""The crash dialog, and the hooks that bring every unexpected error to it.

A bug (anything that is not a KnownError) in a slot, a worker thread or a background task
opens this dialog: what happened in one line, that the app keeps running, the details
(versions, traceback; secrets scrubbed) to copy into a bug report, and where the saved
report is. `CrashHandler.install()` sets `sys.excepthook` and `threading.excepthook`, so an
exception raised in a Qt slot reaches the dialog instead of being printed and lost.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import PySide6
from PySide6.QtCore import QObject, Qt, Signal, qVersion
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core import crash

log = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]


def qt_versions() -> dict[str, str]:
    return {"Qt": f"{qVersion()} (PySide6 {PySide6.__version__})"}


class CrashDialog(QDialog):
    """Shows one or more crash reports; non-modal, so the work behind it stays usable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setAccessibleName("Unexpected error")
        self.setWindowTitle("Tenantry: unexpected error")
        self.setModal(False)
        self.resize(720, 460)
        self.reports: list[crash.CrashReport] = []
        title = QLabel("Something went wrong", self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        self.heading = QLabel(self)
        self.heading.setObjectName("crashHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        explanation = QLabel(
            "This is a bug in Tenantry, not something you did wrong. Tenantry is still "
            "running: close this window and carry on; nothing you saved is affected. "
            "To report it, copy the details below (passwords and credentials are masked).",
            self,
        )
        explanation.setWordWrap(True)
        self.saved = QLabel(self)
        self.saved.setObjectName("crashSavedAt")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("crashDetails")
        self.details.setAccessibleName("Error details")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFont("monospace"))
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setObjectName("crashCopy")
        self.copy_button.setAccessibleName("Copy error details")
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.heading)
        layout.addWidget(explanation)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.saved)
        layout.addWidget(buttons)

    def add(self, report: crash.CrashReport) -> None:
        self.reports.append(report)
        count = len(self.reports)
        suffix = f" ({count} errors since this window opened)" if count > 1 else ""
        summary = report.summary if len(report.summary) <= 240 else report.summary[:239] + "…"
        self.heading.setText(f"{summary}{suffix}")
        self.details.setPlainText(self.text())
        where = [str(r.path) for r in self.reports if r.path is not None]
        self.saved.setText(
            "Saved to " + ", ".join(where) if where else "The report could not be saved."
        )

    def text(self) -> str:
        return "\n\n".join(report.details for report in self.reports)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())


class _Bridge(QObject):
    """Carries reports from any thread to the GUI thread."""

    reported = Signal(object)


class CrashHandler(QObject):
    """Routes unexpected errors (hooks, runner, windows) to one crash dialog."""

    #: A report was recorded (after it was saved): (CrashReport,).
    crashed = Signal(object)

    def __init__(self, parent_widget: Callable[[], QWidget | None] | None = None) -> None:
        super().__init__()
        self._parent_widget = parent_widget or (lambda: None)
        self._bridge = _Bridge()
        self._bridge.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self.dialog: CrashDialog | None = None
        self._previous_hook: ExceptHook | None = None
        self._previous_thread_hook: Callable[[threading.ExceptHookArgs], Any] | None = None
        self._handling = threading.local()

    # -- hooks ---------------------------------------------------------------------------

    def install(self) -> None:
        """Make this handler the process's excepthook (GUI thread and other threads)."""
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None
        if self._previous_thread_hook is not None:
            threading.excepthook = self._previous_thread_hook
            self._previous_thread_hook = None

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            (self._previous_hook or sys.__excepthook__)(kind, exc, tb)
            return
        self.report(exc, where="the user interface (a Qt slot)", tb=tb)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        self.report(args.exc_value, where=f"background thread {name!r}", tb=args.exc_traceback)

    # -- reporting -------------------------------------------------------------------------

    def report(
        self, exc: BaseException, *, where: str = "", tb: TracebackType | None = None
    ) -> crash.CrashReport:
        """Record `exc` (log + scrubbed file) and show it; safe from any thread."""
        if getattr(self._handling, "active", False):  # the handler itself failed
            sys.__excepthook__(type(exc), exc, tb or exc.__traceback__)
            return crash.build(exc, where=where, tb=tb)
        self._handling.active = True
        try:
            saved = crash.record(exc, where=where, extra_versions=qt_versions(), tb=tb)
            self._bridge.reported.emit(saved)
            return saved
        finally:
            self._handling.active = False

    def _show(self, report: crash.CrashReport) -> None:
        if QApplication.instance() is None:
            return
        if self.dialog is None:
            self.dialog = CrashDialog(self._parent_widget())
        elif not self.dialog.isVisible():  # closed since the last one: start afresh
            self.dialog.reports.clear()
        self.dialog.add(report)
        self.dialog.show()
        self.dialog.raise_()
        self.crashed.emit(report)
