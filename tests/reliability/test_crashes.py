"""Unexpected errors: a slot, a worker or a thread that raises opens the crash dialog with
copyable, scrubbed details, a report file under the data directory, and the app keeps
running. Logs rotate under TENANTRY_HOME."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from desktop.core import crash, logs, redaction
from desktop.ui.crash_dialog import CrashDialog
from desktop.ui.crash_handler import CrashHandler
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

from .hostile import generated_pem

REPO = Path(__file__).resolve().parents[2]
REMEMBERED = "sk_live_remembered_4f9a2c"  # a credential value this process has handled
URL_PASSWORD = "hunter2-url-pw"
LIBPQ_PASSWORD = "libpq-pw-77aa"
SECRETS = (REMEMBERED, URL_PASSWORD, LIBPQ_PASSWORD)


def failing(kind: type[Exception] = RuntimeError) -> Exception:
    return kind(
        f"could not save: postgresql+psycopg2://dba:{URL_PASSWORD}@db.internal:5432/app "
        f"(dsn host=db password={LIBPQ_PASSWORD}) credentials {{'api_key': '{REMEMBERED}'}}"
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path / "home"))
    redaction.remember(REMEMBERED)
    yield tmp_path / "home"
    redaction.forget_all()


@pytest.fixture
def window(qtbot: Any, runner: Runner) -> MainWindow:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def hooks(window: MainWindow) -> Iterator[CrashHandler]:
    """The app's hooks, installed around the test (pytest-qt's own are put back after)."""
    window.crashes.install()
    try:
        yield window.crashes
    finally:
        window.crashes.uninstall()


def assert_scrubbed(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} in clear"
    assert "***" in text


def shown_dialog(qtbot: Any, handler: CrashHandler) -> CrashDialog:
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5000)
    assert handler.dialog is not None
    return handler.dialog


def reports(home: Path) -> list[Path]:
    return sorted((home / "data" / crash.CRASH_DIR).glob("crash-*.txt"))


def test_an_exception_in_a_slot_opens_the_dialog_and_the_app_keeps_running(
    qtbot: Any, home: Path, window: MainWindow, hooks: CrashHandler, runner: Runner, tmp_path: Path
) -> None:
    button = QPushButton("Break", window)

    def broken_slot() -> None:
        raise failing(ValueError)

    button.clicked.connect(broken_slot)
    button.click()  # PySide6 hands the slot's exception to sys.excepthook: ours
    dialog = shown_dialog(qtbot, hooks)
    assert "ValueError" in dialog.heading.text()
    details = dialog.details.toPlainText()
    assert "Traceback (most recent call last)" in details and "broken_slot" in details
    assert "Tenantry: " in details and "Python: " in details and "Qt: " in details
    assert "Where: the user interface (a Qt slot)" in details
    assert_scrubbed(details)
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == details
    [saved] = reports(home)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert saved.read_text() == details and str(saved) in dialog.saved.text()
    assert not dialog.isModal()
    # The app keeps running: the window is there and background work still completes.
    assert window.isVisible()
    results: list[int] = []
    runner.submit(lambda: 41 + 1, on_success=results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)
    if os.environ.get("TENANTRY_SCREENSHOTS"):
        dialog.grab().save(str(Path(os.environ["TENANTRY_SCREENSHOTS"]) / "crash-dialog.png"))
    dialog.grab().save(str(tmp_path / "crash-dialog.png"))
    assert (tmp_path / "crash-dialog.png").stat().st_size > 0


def test_a_worker_failure_nobody_handles_opens_the_dialog(
    qtbot: Any, home: Path, window: MainWindow, hooks: CrashHandler, runner: Runner
) -> None:
    def job() -> None:
        raise failing(KeyError)

    shown: list[str] = []
    window.error_shown.connect(shown.append)
    runner.submit(job)  # no on_failure: the runner's `unhandled` signal, then show_failure
    dialog = shown_dialog(qtbot, hooks)
    details = dialog.details.toPlainText()
    assert "Where: a background task" in details and "in job" in details
    assert_scrubbed(details)
    assert shown and shown[0].startswith("KeyError") and URL_PASSWORD not in shown[0]
    assert len(reports(home)) == 1


def test_a_failure_callback_that_raises_and_a_thread_that_dies_reach_the_same_dialog(
    qtbot: Any, home: Path, window: MainWindow, hooks: CrashHandler, runner: Runner
) -> None:
    def on_failure(exc: BaseException) -> None:
        raise RuntimeError(f"the failure handler broke too: {exc}")

    runner.submit(lambda: 1 / 0, on_failure=on_failure)
    dialog = shown_dialog(qtbot, hooks)
    thread = threading.Thread(target=lambda: (_ for _ in ()).throw(failing()), name="sync")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(dialog.reports) == 2, timeout=5000)
    assert "2 errors" in dialog.heading.text()
    text = dialog.text()
    assert "failure handler broke too: division by zero" in text
    assert "background thread 'sync'" in text
    assert_scrubbed(text)
    assert len(reports(home)) == 2


def test_known_errors_stay_messages(
    qtbot: Any, home: Path, window: MainWindow, hooks: CrashHandler, runner: Runner
) -> None:
    from desktop.core.errors import KnownError

    def job() -> None:
        raise KnownError("Connection refused by db.internal:5432.")

    with qtbot.waitSignal(window.error_shown, timeout=5000) as shown:
        runner.submit(job)
    assert shown.args == ["Connection refused by db.internal:5432."]
    assert hooks.dialog is None and reports(home) == []


def test_the_report_keeps_only_the_latest(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crash, "KEEP_REPORTS", 3)
    for n in range(5):
        crash.save(crash.build(RuntimeError(f"number {n}")))
    kept = reports(home)
    assert len(kept) == 3 and "number 4" in kept[-1].read_text()


def test_logs_rotate_under_tenantry_home_and_are_scrubbed(home: Path) -> None:
    assert logs.log_file() == home / "logs" / "tenantry.log"
    handler = logs.file_handler(max_bytes=2_000, backups=2)
    logger = logging.getLogger("tenantry.reliability.rotation")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(200):
            logger.warning("entry %d connecting with password=%s", n, LIBPQ_PASSWORD)
        logger.error("failed", exc_info=failing())
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in (home / "logs").iterdir())
    assert files == ["tenantry.log", "tenantry.log.1", "tenantry.log.2"]
    assert all((home / "logs" / name).stat().st_size <= 2_000 + 1_000 for name in files)
    text = "".join((home / "logs" / name).read_text() for name in files)
    assert "entry 199" in text and "entry 0 " not in text  # the oldest rotated away
    for secret in SECRETS:
        assert secret not in text


def test_scrubbing_masks_secrets_and_keeps_the_rest() -> None:
    key = json.dumps(generated_pem())[1:-1]  # as it stands inside a JSON string: \\n
    redaction.remember("p@ss w0rd!")
    try:
        text = redaction.scrub(
            "url postgresql://u:p%40ss@h:5432/d password='x' PGPASSWORD=abc "
            f'{{"private_key": "{key}",'
            ' "client_email": "svc@demo.iam"} typed p@ss w0rd! email a@b.io'
        )
    finally:
        redaction.forget_all()
    assert text == (
        "url postgresql://u:***@h:5432/d password='x' PGPASSWORD=*** "
        '{"private_key": \'***\', "client_email": "svc@demo.iam"} typed *** email a@b.io'
    )


def test_the_app_bootstrap_sends_slot_exceptions_to_the_dialog(tmp_path: Path) -> None:
    """The real entry point (`tenantry`), in a process of its own: a slot raises after the
    window shows; the process keeps running, shows the dialog, saves the report, exits 0."""
    script = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from desktop import app
        from desktop.ui import main_window

        shown = main_window.MainWindow.showEvent

        def boom():
            raise RuntimeError("slot failed: postgresql://dba:{URL_PASSWORD}@db/app")

        def check():
            dialogs = [w for w in QApplication.topLevelWidgets()
                       if w.objectName() == "crashDialog" and w.isVisible()]
            print("DIALOG" if dialogs else "NO DIALOG", flush=True)
            QApplication.instance().exit(0 if dialogs else 3)

        def show_event(self, event):
            shown(self, event)
            QTimer.singleShot(0, boom)
            QTimer.singleShot(1500, check)

        main_window.MainWindow.showEvent = show_event
        sys.exit(app.main([]))
        """
    )
    home = tmp_path / "home"
    env = {**os.environ, "TENANTRY_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("CI", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DIALOG" in result.stdout
    [saved] = reports(home)
    assert "slot failed" in saved.read_text() and URL_PASSWORD not in saved.read_text()
    log_text = (home / "logs" / "tenantry.log").read_text()
    assert "slot failed" in log_text and URL_PASSWORD not in log_text
    assert URL_PASSWORD not in result.stderr


def test_after_closing_the_dialog_the_next_crash_starts_afresh(
    qtbot: Any, home: Path, window: MainWindow, hooks: CrashHandler
) -> None:
    hooks.report(RuntimeError("first"))
    dialog = shown_dialog(qtbot, hooks)
    dialog.reject()
    assert not dialog.isVisible()
    hooks.report(RuntimeError("second"))
    again = shown_dialog(qtbot, hooks)
    assert [r.summary for r in again.reports] == ["RuntimeError: second"]
    assert "errors since" not in again.heading.text()
