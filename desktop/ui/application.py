"""The GUI entry point: QApplication, the main window, the demo, signals and --smoke."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from desktop import __version__
from desktop.core.errors import KnownError
from desktop.core.redaction import scrub
from desktop.core.resources import icon_path
from desktop.core.ui_state import UiStateStore
from desktop.ui.collector import install as install_collector
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner
from desktop.ui.theme import install as install_theme

if TYPE_CHECKING:
    from desktop.services.connect import Opened
    from desktop.services.database import Database
    from desktop.services.demo import DemoDatabase

log = logging.getLogger(__name__)

SMOKE_TIMEOUT_MS = 120_000


class _Session:
    """What one run of the app owns, and releases on exit."""

    def __init__(
        self, app: QApplication, args: argparse.Namespace, state: UiStateStore | None = None
    ) -> None:
        self.app = app
        self.args = args
        self.runner = Runner()
        self.window = MainWindow(self.runner, state=state)
        self.demo: DemoDatabase | None = None
        self.database: Database | None = None
        self.exit_code = 0
        self._done_when_painted = False  # --smoke without a database: done once painted

    def start(self) -> None:
        if self.args.smoke:
            self._first_paint = _FirstPaint(self.window, self._report_painted)
        self.window.show()
        if self.args.smoke:
            self._arm_smoke()
        if self.args.demo:
            self.window.show_connecting("Starting the demo database…")
            self.runner.submit(self._open_demo, on_success=self._connected, on_failure=self._failed)
        elif self.args.profile:
            self._open_profile(self.args.profile)
        elif self.args.smoke:
            self._done_when_painted = True

    def _open_demo(self) -> Database:
        """Worker thread: start (or adopt) the demo cluster; imported here, off start-up."""
        from desktop.services.demo import DEFAULT_DEMO_USERS, DemoDatabase

        self.demo = DemoDatabase(
            users=self.args.demo_size or DEFAULT_DEMO_USERS, reset=self.args.reset
        )
        return self.demo.open()

    def _open_profile(self, name: str) -> None:
        """`--profile NAME`: connect in the background; on a password problem, the dialog."""
        connector = self.window.connection.connector
        try:
            profile = connector.store.get(name)
        except KnownError as exc:
            # After the event loop starts: an exit requested before exec() is lost.
            QTimer.singleShot(0, partial(self._profile_failed, name, exc))
            return
        self.window.show_connecting(f"Connecting to {profile.name} ({profile.address})…")
        self.runner.submit(
            partial(connector.open, profile),
            on_success=self._opened,
            on_failure=partial(self._profile_failed, name),
            pool="net",
        )

    def _opened(self, opened: Opened) -> None:
        self.window.connection.use(opened)
        self.database = self.window.database

    def _profile_failed(self, name: str, exc: BaseException) -> None:
        self._failed(exc)
        if isinstance(exc, KnownError) and not self.args.smoke:
            self.window.connection.open_dialog(select=name, message=exc.message)

    def _connected(self, database: Database) -> None:
        self.database = database
        self.window.set_database(database)

    def _failed(self, exc: BaseException) -> None:
        message = scrub(str(exc) or type(exc).__name__)
        if self.args.smoke:
            self.finish(1, f"tenantry --smoke: {message}")
            return
        self.window.show_connecting("Not connected")
        if isinstance(exc, KnownError):
            self.window.show_error(message)
        else:  # a bug: the crash dialog, with the details to report it
            self.window.show_failure(exc)

    def _report_painted(self) -> None:
        """--smoke: the window has painted. The moment, as Unix time, is for the start-up
        benchmark (process start to window shown, without the interpreter's teardown)."""
        print(f"tenantry --smoke: window painted at {time.time():.6f}", flush=True)
        if self._done_when_painted:
            self.finish(0)

    def _arm_smoke(self) -> None:
        self.window.first_pages_loaded.connect(lambda: self.finish(0))
        self.window.error_shown.connect(lambda m: self.finish(1, f"tenantry --smoke: {m}"))
        QTimer.singleShot(
            SMOKE_TIMEOUT_MS,
            lambda: self.finish(1, "tenantry --smoke: timed out waiting for the first pages"),
        )

    def finish(self, code: int, message: str | None = None) -> None:
        if message:
            print(message, file=sys.stderr)
        self.exit_code = code
        self.app.exit(code)

    def close(self) -> None:
        self.runner.shutdown()
        for database in {id(d): d for d in (self.database, self.window.database) if d}.values():
            database.dispose()
        if self.demo is not None:
            self.demo.close()


class _FirstPaint(QObject):
    """Calls `done` once `window` has finished its first paint."""

    def __init__(self, window: QWidget, done: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._done = done
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self._done)  # after this paint (and its flush) completes
        return False


def _install_signal_handlers(app: QApplication) -> Any:
    """Ctrl+C and SIGTERM quit the event loop, so cleanup (stopping the demo) still runs."""

    def handler(signum: int, frame: object) -> None:
        app.exit(128 + signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    timer = QTimer()
    timer.start(200)  # lets the interpreter run the Python signal handler
    timer.timeout.connect(lambda: None)
    return timer


def app_icon() -> QIcon:
    """The Tenantry icon from its PNG renders (no SVG plugin needed, also when frozen)."""
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        icon.addFile(str(icon_path(size)), QSize(size, size))
    return icon


def make_app(argv: list[str]) -> QApplication:
    """The QApplication with the app's names and icon; garbage collection on its thread."""
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Tenantry")
    app.setOrganizationName("Tenantry")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("tenantry")  # matches the installed tenantry.desktop entry
    app.setWindowIcon(app_icon())
    # Cycles are collected on the GUI thread only: a collection on a worker destroys the
    # Qt objects it frees there and can deadlock Qt against the interpreter.
    install_collector(app)
    return app


def run(args: argparse.Namespace) -> int:
    app = make_app(sys.argv[:1])
    keepalive = _install_signal_handlers(app)
    state = UiStateStore()  # window layout, views and saved filters (TENANTRY_HOME/config)
    install_theme(app, state.window.get("appearance"))
    session = _Session(app, args, state)
    # Unexpected errors in slots and threads open the crash dialog instead of being lost.
    session.window.crashes.install()
    try:
        session.start()
        code = app.exec()
    finally:
        session.window.crashes.uninstall()
        session.close()
        keepalive.stop()
    return code if code else session.exit_code
