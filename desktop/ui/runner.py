"""The one helper that runs background work: database writes serialised, the rest pooled.

Every database, network, keyring or Alembic call the UI makes goes through `Runner.submit`.
Results come back on the GUI thread. With a `key`, the latest request wins: results of an
earlier request with the same key are dropped, and the query it may still be running is
cancelled on the server (psycopg2 `connection.cancel()` through its `CancelToken`), so a
fast typist never sees stale rows and leaves no query behind.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from shiboken6 import isValid

from desktop.core.cancel import CancelToken, scope
from desktop.core.errors import Cancelled

log = logging.getLogger(__name__)

#: Threads for `pool="read"`: an organization's users and plugins load at the same time.
READ_THREADS = 2

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit through it (queued connections)."""

    # One tuple (task id, ok, result or exception): a plain Python object crosses threads
    # untouched (a `bool` argument in a queued signal corrupts refcounts in PySide6 6.12).
    finished = Signal(object)


class _Job(QRunnable):
    def __init__(
        self, task_id: int, fn: Callable[[], Any], relay: _Relay, token: CancelToken
    ) -> None:
        super().__init__()
        self._task_id = task_id
        self._fn = fn
        self._relay = relay
        self._token = token

    def run(self) -> None:
        try:
            with scope(self._token):
                self._token.raise_if_cancelled()
                result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the user
            self._relay.finished.emit((self._task_id, False, exc))
        else:
            self._relay.finished.emit((self._task_id, True, result))


@dataclass
class _Pending:
    key: str | None
    on_success: Success | None
    on_failure: Failure | None
    token: CancelToken


class Runner(QObject):
    """Runs callables off the GUI thread and reports back on it."""

    #: A failure nobody handled: (exception,). The main window shows it.
    unhandled = Signal(object)
    #: Number of tasks in flight changed (for a busy indicator).
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db_pool = QThreadPool(self)
        self._db_pool.setMaxThreadCount(1)  # writes and anything order-sensitive, in order
        self._read_pool = QThreadPool(self)
        self._read_pool.setMaxThreadCount(READ_THREADS)  # the browse views' reads, side by side
        self._net_pool = QThreadPool(self)
        self._net_pool.setMaxThreadCount(4)
        self._relay = _Relay()
        self._relay.finished.connect(self._on_finished)
        # Results are handed over from a zero-delay timer, one per event-loop pass, rather
        # than straight from the event that brought them: a result arriving while the grid
        # paints would otherwise be handled, and painted, before input or any timer had a
        # turn (two paints back to back).
        self._inbox: deque[tuple[int, bool, object]] = deque()
        self._delivery = QTimer(self)
        self._delivery.setSingleShot(True)
        self._delivery.setInterval(0)
        self._delivery.timeout.connect(self._deliver)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._pools = {"db": self._db_pool, "read": self._read_pool, "net": self._net_pool}

    def submit(
        self,
        fn: Callable[[], Any],
        *,
        on_success: Success | None = None,
        on_failure: Failure | None = None,
        key: str | None = None,
        pool: str = "db",
    ) -> int:
        """Run `fn()` in the background; call `on_success(result)` or `on_failure(exc)`.

        `pool`: "db" (one thread: writes and order-sensitive work), "read" (the browse
        views' block loads, which may overlap) or "net" (network, keyring, imports,
        cancels, and short reads beside a view's first page: summaries, estimates).
        """
        if self._closed:
            raise RuntimeError("the runner has been shut down")
        task_id = next(self._ids)
        token = CancelToken()
        self._pending[task_id] = _Pending(key, on_success, on_failure, token)
        if key is not None:
            self.cancel(key)
            self._latest[key] = task_id
        target = self._pools[pool]
        target.start(_Job(task_id, fn, self._relay, token))
        self.busy_changed.emit(len(self._pending))
        return task_id

    def forget(self, key: str) -> None:
        """Drop the result of whatever is in flight under `key`."""
        self._latest.pop(key, None)

    def cancel(self, key: str) -> bool:
        """Drop the result of the task in flight under `key` and cancel its query on the
        server. The cancel request itself goes out from a worker thread (it is network I/O)."""
        task_id = self._latest.pop(key, None)
        pending = self._pending.get(task_id) if task_id is not None else None
        if pending is None:
            return False
        self._cancel(pending.token)
        return True

    def cancel_task(self, task_id: int) -> bool:
        """Cancel one task but still report how it ended: `on_failure(Cancelled)` if the
        cancel came in time, `on_success` if it had already finished."""
        pending = self._pending.get(task_id)
        if pending is None:
            return False
        self._cancel(pending.token)
        return True

    def _cancel(self, token: CancelToken) -> None:
        if not token.cancelled:
            token.mark()
            self._net_pool.start(token.stop_running)

    @property
    def closed(self) -> bool:
        """True once `shutdown()` ran: nothing more may be submitted."""
        return self._closed

    def in_flight(self) -> int:
        return len(self._pending)

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until every pool is idle (tests and shutdown only)."""
        return all(pool.waitForDone(timeout_ms) for pool in self._pools.values())

    def shutdown(self, timeout_ms: int = 15_000) -> None:
        self._closed = True
        for pending in list(self._pending.values()):
            self._cancel(pending.token)
        for pool in self._pools.values():
            pool.clear()
        if not self.wait(timeout_ms):
            log.warning("Background work still running at shutdown")
        self._pending.clear()

    @Slot(object)
    def _on_finished(self, message: tuple[int, bool, object]) -> None:
        self._inbox.append(message)
        if not self._delivery.isActive():
            self._delivery.start()

    def _deliver(self) -> None:
        if not self._inbox:
            return
        message = self._inbox.popleft()
        if self._inbox:
            self._delivery.start()  # the next one on the next pass
        self._handle(message)

    def _handle(self, message: tuple[int, bool, object]) -> None:
        task_id, ok, payload = message
        pending = self._pending.pop(task_id, None)
        self.busy_changed.emit(len(self._pending))
        if pending is None:
            return
        if pending.key is not None:
            if self._latest.get(pending.key) != task_id:
                log.debug("Dropping superseded result for %s", pending.key)
                return
        if not ok and isinstance(payload, Cancelled) and pending.on_failure is None:
            return
        if ok:
            if pending.on_success is not None and _alive(pending.on_success):
                pending.on_success(payload)
            return
        if pending.on_failure is not None and not _alive(pending.on_failure):
            return
        assert isinstance(payload, BaseException)
        if pending.on_failure is not None and _alive(pending.on_failure):
            pending.on_failure(payload)
        else:
            self.unhandled.emit(payload)


def _alive(callback: Callable[..., Any]) -> bool:
    """False when `callback` is a method of a Qt object that has been deleted meanwhile."""
    while isinstance(callback, partial):
        callback = callback.func
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or isValid(owner)
