"""Fixtures for the fault suite: a PostgreSQL of its own to stop, a GUI heartbeat, a SQL guard.

The session-wide `pg_server` is shared by every test and is never stopped here: the tests
that stop or restart a server use `private_server`, a separate embedded cluster in a
temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gui_thread_guard import GuiThreadGuard, guarding
from sqlalchemy import create_engine, text

from desktop.db import migrate, seed
from desktop.db.embedded import EmbeddedPostgres

PRIVATE_USERS = 300


def unavailable(reason: str) -> None:
    """Skip, or fail with CI=true: a missing component must never pass silently in CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"component unavailable with CI=true: {reason}", pytrace=False)
    pytest.skip(f"component unavailable: {reason}")


# -- a server of our own ------------------------------------------------------------------


@dataclass
class PrivateServer:
    """An embedded cluster only this test uses: it may be stopped and started again."""

    server: EmbeddedPostgres
    port: int

    def url(self, database: str = "tenantry") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        """Start again on the same port (the app's profile still points there)."""
        self.server.port = self.port
        self.server.start()

    def in_background(self, action: Callable[[], None]) -> threading.Thread:
        return in_background(action)


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    """A separate PostgreSQL 18 with a migrated, seeded `tenantry` database.

    Its folder is not under pytest's tmp_path: a concurrent pytest run resets
    /tmp/pytest-of-USER to mode 0700, which locks out the server's `nobody` account.
    """
    base = Path(tempfile.mkdtemp(prefix="tfaultpg-"))
    server = EmbeddedPostgres(base / "data", for_tests=True)
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - reported as unavailable
        shutil.rmtree(base, ignore_errors=True)
        unavailable(f"embedded PostgreSQL did not start: {exc}")
    try:
        private = PrivateServer(server, server.running_port)
        admin = create_engine(private.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE tenantry"))
        admin.dispose()
        engine = create_engine(private.url())
        migrate.upgrade_to_head(engine)
        with engine.begin() as connection:
            seed.seed(connection, seed.SeedSize.for_users(PRIVATE_USERS))
        engine.dispose()
        yield private
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


class Freezer:
    """Freezes every process of a cluster with SIGSTOP (a paused VM, a wedged host), and
    thaws them with SIGCONT. The kernel keeps their sockets open and ACKing."""

    def __init__(self, server: EmbeddedPostgres) -> None:
        self.server = server
        self.frozen: list[int] = []

    def pids(self) -> list[int]:
        postmaster = int((self.server.data_dir / "postmaster.pid").read_text().split()[0])
        children = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path("/proc", entry, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(entry))
        return [postmaster, *children]

    def freeze(self) -> None:
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)
            self.frozen.append(pid)

    def thaw(self) -> None:
        while self.frozen:
            pid = self.frozen.pop()
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    @property
    def is_frozen(self) -> bool:
        return bool(self.frozen)


@pytest.fixture
def freezer(private_server: PrivateServer) -> Iterator[Freezer]:
    """SIGSTOP for the private server; whatever happens, SIGCONT at the end."""
    freezer = Freezer(private_server.server)
    try:
        yield freezer
    finally:
        freezer.thaw()


def in_background(action: Callable[[], None]) -> threading.Thread:
    """Run the test's own slow step (stop/start a server) off the GUI thread, so the
    heartbeat only measures the app; `wait_thread` then re-raises what it raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - re-raised by wait_thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def wait_thread(qtbot: Any, thread: threading.Thread, timeout_ms: int = 30_000) -> None:
    """Let the GUI run while a helper thread works; re-raise what it raised."""
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=timeout_ms)
    errors: list[BaseException] = thread.errors  # type: ignore[attr-defined]
    if errors:
        raise errors[0]


# -- the GUI stays responsive ---------------------------------------------------------------


class Heartbeat:
    """A QTimer on the GUI thread; a long gap between its ticks means a frozen window."""

    INTERVAL_MS = 20

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.ticks: list[float] = []
        self._stopped: float | None = None
        self._timer = QTimer()
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(lambda: self.ticks.append(time.monotonic()))

    def start(self) -> None:
        self.ticks = [time.monotonic()]
        self._stopped = None
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._stopped = time.monotonic()

    def max_gap(self) -> float:
        """The longest time (s) the GUI thread did not get to run its event loop, between
        `start()` and `stop()` (or now, while still running)."""
        points = [*self.ticks, self._stopped or time.monotonic()]
        return max((b - a for a, b in zip(points, points[1:], strict=False)), default=0.0)


#: A window that does not process events for this long counts as frozen. The faults
#: below last seconds (timeouts of 1-3 s), so a blocking call would exceed it clearly.
MAX_GUI_GAP_S = 0.75


@pytest.fixture
def heartbeat(qapp: object) -> Iterator[Heartbeat]:
    beat = Heartbeat()
    yield beat
    beat.stop()


@pytest.fixture
def sql_guard() -> Iterator[GuiThreadGuard]:
    with guarding() as guard:
        yield guard


# -- counting what is left behind ---------------------------------------------------------------


def os_threads() -> int:
    """Threads of this process as the kernel sees them (Qt's pool threads included)."""
    return len(os.listdir("/proc/self/task"))


def backends(admin_url: str, database: str) -> list[tuple[int, str, str]]:
    """(pid, state, query) of the app's sessions on `database` (Tenantry's application name)."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT pid, coalesce(state, ''), query FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                    " AND application_name LIKE 'Tenantry%'"
                ),
                {"db": database},
            ).all()
    finally:
        engine.dispose()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def shot(widget: Any, name: str) -> None:
    """Save a picture of `widget` when TENANTRY_SCREENSHOTS names a folder (to look at it)."""
    folder = os.environ.get("TENANTRY_SCREENSHOTS")
    if not folder:
        return
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    Path(folder).mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(Path(folder) / f"fault-{name}.png"))
