"""A cancel token a background job carries, so a superseded query can be stopped on the server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from desktop.core.errors import Cancelled


class CancelToken:
    """Set by whoever supersedes a job; the database layer attaches the connection in use.

    `cancel()` may be called from any thread: it marks the token and, if a query is running
    under it, asks the server to cancel that query (psycopg2 `connection.cancel()`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancel_running: Callable[[], None] | None = None
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        self.mark()
        self.stop_running()

    def mark(self) -> None:
        """Flag the job as cancelled: its next query will not start."""
        self._cancelled = True

    def stop_running(self) -> None:
        """Ask the server to cancel the query running under this token, if any (network I/O).

        The request is sent with the lock held, so `detach()` (the query has ended) waits for
        it: the job's next statement on that connection (the pool's ROLLBACK, say) cannot
        start before the server has had the request, and a request the server gets while
        the connection is idle is dropped. Sent after the lock, a late cancel could stop
        whatever ran next on the connection.
        """
        with self._lock:
            if self._cancelled and self._cancel_running is not None:
                self._cancel_running()

    def raise_if_cancelled(self) -> None:
        if self._cancelled:
            raise Cancelled("superseded")

    def attach(self, cancel_running: Callable[[], None]) -> None:
        """A query is about to run; `cancel_running()` would stop it on the server."""
        with self._lock:
            self._cancel_running = cancel_running
            cancelled = self._cancelled
        if cancelled:
            raise Cancelled("superseded")

    def detach(self) -> None:
        with self._lock:
            self._cancel_running = None


_current = threading.local()


def current() -> CancelToken | None:
    """The token of the job running on this thread, if any."""
    return getattr(_current, "token", None)


@contextmanager
def scope(token: CancelToken) -> Iterator[CancelToken]:
    """Run the enclosed work under `token` (on this thread)."""
    previous = current()
    _current.token = token
    try:
        yield token
    finally:
        _current.token = previous
