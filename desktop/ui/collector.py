"""Python's cyclic garbage collection, run on the GUI thread from a timer (see core/memory).

Long-lived PyQt and PySide applications do this (calibre's GarbageCollector, after a
recipe from the PyQt mailing list): automatic collection off, and a timer that collects
whatever generation Python's thresholds say is due. Qt objects freed by a collection then
die on the GUI thread, never on a worker that happened to allocate.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

from desktop.core import memory

#: Young collections are checked this often (the thresholds decide what actually runs).
INTERVAL_MS = 1_000


class GuiCollector(QObject):
    """Owns collection for the process: made once, on the GUI thread, by `install()`."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        memory.collect_on_this_thread_only()
        self.timer = QTimer(self)
        self.timer.setObjectName("gcCollectorTimer")
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        return memory.collect_due()


_installed: GuiCollector | None = None


def install(app: QCoreApplication, interval_ms: int = INTERVAL_MS) -> GuiCollector:
    """Make the GUI thread the only one that collects (idempotent; call on that thread)."""
    global _installed
    if app.thread() is not QThread.currentThread():
        raise RuntimeError("the garbage collector must be installed on the GUI thread")
    if _installed is None:
        _installed = GuiCollector(app, interval_ms)
    return _installed
