"""The hooks that bring every unexpected error to the crash dialog.

A bug (anything that is not a KnownError) in a slot, a worker thread or a background task
opens the crash dialog (`desktop.ui.crash_dialog`). `CrashHandler.install()` sets
`sys.excepthook` and `threading.excepthook`, so an exception raised in a Qt slot reaches
the dialog instead of being printed and lost.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import PySide6
from PySide6.QtCore import QObject, Qt, Signal, qVersion
from PySide6.QtWidgets import QApplication, QWidget

from desktop.core import crash

if TYPE_CHECKING:
    from desktop.ui.crash_dialog import CrashDialog

log = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]


def qt_versions() -> dict[str, str]:
    return {"Qt": f"{qVersion()} (PySide6 {PySide6.__version__})"}


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
            from desktop.ui.crash_dialog import CrashDialog

            self.dialog = CrashDialog(self._parent_widget())
        elif not self.dialog.isVisible():  # closed since the last one: start afresh
            self.dialog.reports.clear()
        self.dialog.add(report)
        self.dialog.show()
        self.dialog.raise_()
        self.crashed.emit(report)
