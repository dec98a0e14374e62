"""Carries the session's events (published on worker threads) to the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop.core.events import Hub, RowsChanged


class HubBridge(QObject):
    """Re-emits the watched hub's events as Qt signals: a slot of a GUI-thread object
    connected to them runs on the GUI thread (a queued connection), whoever published."""

    rows_changed = Signal(object)  # RowsChanged

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None

    def watch(self, hub: Hub | None) -> None:
        """Listen to `hub` from now on (None: to nothing); the previous one is left."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if hub is not None:
            self._unsubscribe = hub.subscribe(RowsChanged, self.rows_changed.emit)
