"""The account panel and the drift dialog: real widgets, real emulator, real PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy.engine import Engine

from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.session import FirebaseAccounts
from desktop.services.firebase.settings import FirebaseSettings, emulator_settings
from desktop.ui.firebase_drift import DriftDialog
from desktop.ui.firebase_panel import FirebaseAccountPanel
from desktop.ui.runner import Runner

from .helpers import PROJECT_ID, add_users, closed_port, user_row

SHOTS = os.environ.get("TENANTRY_SCREENSHOTS")


def shot(widget: QWidget, name: str) -> None:
    """Save a picture when TENANTRY_SCREENSHOTS names a folder (to look at it)."""
    if SHOTS:
        QApplication.processEvents()  # let the layout settle first
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def runner(qapp: object) -> Iterator[Runner]:
    runner = Runner()
    yield runner
    runner.shutdown(timeout_ms=20_000)
    assert runner.wait(0), "a background task was still running after the test"


@pytest.fixture
def accounts(engine: Engine, fb_settings: FirebaseSettings) -> Iterator[FirebaseAccounts]:
    service = FirebaseAccounts(engine, fb_settings)
    yield service
    service.close()


@pytest.fixture
def panel(qtbot, runner: Runner, accounts: FirebaseAccounts) -> FirebaseAccountPanel:  # type: ignore[no-untyped-def]
    widget = FirebaseAccountPanel(runner, accounts)
    widget.resize(820, 580)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_panel_shows_the_account(
    qtbot, panel: FirebaseAccountPanel, engine: Engine, fb: FirebaseClient
) -> None:  # type: ignore[no-untyped-def]
    record = fb.auth.create_user(
        email="maria@acme.example", password="secret12", email_verified=True
    )
    fb.auth.set_custom_user_claims(record.uid, {"role": "support", "regions": ["eu", "us"]})
    (user_id,) = add_users(
        engine,
        [
            {
                "email": "maria@acme.example",
                "firebase_id": record.uid,
                "name": "Maria Garcia",
                "status": 2,
            }
        ],
    )
    started = time.monotonic()
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.show_user(user_id)
        assert time.monotonic() - started < 0.2, "show_user must not block"
    assert panel.values["uid"].text() == record.uid
    assert panel.values["email"].text() == "maria@acme.example"
    assert panel.values["verified"].text() == "Yes"
    assert panel.values["disabled"].text() == "No"
    assert panel.values["providers"].text() == "password"
    assert '"role": "support"' in panel.claims.toPlainText()
    assert "enabled but the user is Inactive" in panel.problems.text()
    assert "status Inactive" in panel.database_line.text()
    assert panel.buttons["disable"].isEnabled() and not panel.buttons["enable"].isEnabled()
    assert not panel.buttons["create"].isEnabled()
    shot(panel, "firebase-panel")


def test_create_from_the_panel(
    qtbot, panel: FirebaseAccountPanel, engine: Engine, fb: FirebaseClient
) -> None:  # type: ignore[no-untyped-def]
    (user_id,) = add_users(engine, [{"email": "new@acme.example"}])
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.show_user(user_id)
    assert panel.values["exists"].text() == "No account"
    assert panel.buttons["create"].isEnabled() and not panel.buttons["link"].isEnabled()
    shot(panel, "firebase-panel-no-account")

    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.buttons["create"].click()

    uid = user_row(engine, user_id)["firebase_id"]  # type: ignore[index]
    assert fb.auth.get_user(uid).email == "new@acme.example"
    assert panel.values["uid"].text() == uid
    assert "Created Firebase account" in panel.banner.text()


def test_disable_and_reset_link(
    qtbot, panel: FirebaseAccountPanel, engine: Engine, fb: FirebaseClient
) -> None:  # type: ignore[no-untyped-def]
    record = fb.auth.create_user(email="ops@acme.example", password="secret12")
    (user_id,) = add_users(engine, [{"email": "ops@acme.example", "firebase_id": record.uid}])
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.show_user(user_id)

    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.buttons["disable"].click()
    assert fb.auth.get_user(record.uid).disabled is True
    assert user_row(engine, user_id)["status"] == 2  # type: ignore[index]
    assert panel.values["disabled"].text() == "Yes" and panel.buttons["enable"].isEnabled()

    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.buttons["reset"].click()
    link = QGuiApplication.clipboard().text()
    assert "mode=resetPassword" in link
    assert link not in panel.banner.text() and "clipboard" in panel.banner.text()


def test_failed_action_says_why_and_offers_link(
    qtbot, panel: FirebaseAccountPanel, engine: Engine, fb: FirebaseClient
) -> None:  # type: ignore[no-untyped-def]
    (user_id,) = add_users(engine, [{"email": "late@acme.example"}])
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.show_user(user_id)
    fb.auth.create_user(email="late@acme.example")  # appears after the panel loaded

    with qtbot.waitSignal(
        panel.message_shown, timeout=10_000, check_params_cb=lambda kind, text: kind == "error"
    ):
        panel.buttons["create"].click()
    qtbot.waitUntil(lambda: panel.buttons["link"].isEnabled(), timeout=10_000)
    assert "link it" in panel.banner.text() and not panel.retry_button.isVisible()
    assert not panel.buttons["create"].isEnabled()
    shot(panel, "firebase-panel-action-failed")


def test_unreachable_firebase_is_a_message(qtbot, runner: Runner, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    (user_id,) = add_users(engine, [{"email": "x@acme.example", "firebase_id": "uid-x"}])
    service = FirebaseAccounts(engine, emulator_settings(PROJECT_ID, f"127.0.0.1:{closed_port()}"))
    panel = FirebaseAccountPanel(runner, service)
    panel.resize(820, 580)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(
        panel.message_shown, timeout=10_000, check_params_cb=lambda kind, text: kind == "error"
    ):
        panel.show_user(user_id)
    assert "is unreachable" in panel.banner.text()
    assert panel.retry_button.isVisible()
    assert not any(button.isEnabled() for button in panel.buttons.values())
    shot(panel, "firebase-panel-unreachable")
    with qtbot.waitSignal(
        panel.message_shown, timeout=10_000, check_params_cb=lambda kind, text: kind == "error"
    ):
        panel.retry_button.click()
    service.close()


def test_drift_dialog_check_and_fix(
    qtbot,
    runner: Runner,
    accounts: FirebaseAccounts,
    engine: Engine,
    fb: FirebaseClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    orphan = fb.auth.create_user(email="orphan@elsewhere.example")
    renamed = fb.auth.create_user(email="before@acme.example")
    add_users(
        engine,
        [
            {"email": "none@acme.example", "name": "No Account"},
            {"email": "after@acme.example", "firebase_id": renamed.uid},
            {"email": "dangling@acme.example", "firebase_id": "uid-that-is-gone"},
        ],
    )
    dialog = DriftDialog(runner, accounts)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.report_ready, timeout=20_000):
        dialog.run_button.click()
    assert dialog.table.rowCount() == 4
    assert "4 disagreement(s)" in dialog.status.text()
    shot(dialog, "firebase-drift")

    asked: list[str] = []

    def answer(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    with qtbot.waitSignal(dialog.fix_finished, timeout=20_000):
        dialog.fix_all_button.click()
    with qtbot.waitSignal(dialog.report_ready, timeout=20_000):
        pass
    assert asked and "Delete 1 Firebase account" in asked[0]
    assert dialog.table.rowCount() == 0 and "no drift" in dialog.status.text()
    assert "Fix: 4 fixed." in dialog.status.text()
    assert fb.auth.get_user("uid-that-is-gone").email == "dangling@acme.example"
    assert [u.uid for u in fb.auth.list_users().iterate_all() if u.uid == orphan.uid] == []


def test_drift_dialog_cancel(
    qtbot, runner: Runner, accounts: FirebaseAccounts, fb: FirebaseClient
) -> None:  # type: ignore[no-untyped-def]
    from firebase_admin import auth

    records = [auth.ImportUserRecord(uid=f"o{i:05d}", email=f"o{i}@x.example") for i in range(3000)]
    for start in range(0, 3000, 1000):
        fb.auth.import_users(records[start : start + 1000])
    dialog = DriftDialog(runner, accounts)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.run_button.click()
    assert dialog.cancel_button.isEnabled()
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    assert dialog.status.text() == "Check cancelled."
    assert dialog.report is None and dialog.table.rowCount() == 0
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_on_production_an_account_action_asks_once_and_cancel_changes_nothing(
    qtbot,  # type: ignore[no-untyped-def]
    runner: Runner,
    schema_url: str,
    engine: Engine,
    fb_settings: FirebaseSettings,
    fb: FirebaseClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from desktop.services.database import open_database

    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or 0)
    record = fb.auth.create_user(email="prod@acme.example", password="secret12")
    (user_id,) = add_users(
        engine, [{"email": "prod@acme.example", "firebase_id": record.uid, "status": 1}]
    )
    production = open_database(schema_url, label="Prod", environment="production")
    service = FirebaseAccounts(production.engine, fb_settings, database=production)
    panel = FirebaseAccountPanel(runner, service)
    qtbot.addWidget(panel)
    try:
        with qtbot.waitSignal(panel.loaded, timeout=10_000):
            panel.show_user(user_id)
        panel.buttons["disable"].click()
        runner.wait()
        assert len(asked) == 1
        assert "PRODUCTION" in asked[0] and f"user #{user_id} prod@acme.example" in asked[0]
        assert fb.auth.get_user(record.uid).disabled is False  # cancelled: untouched
        assert user_row(engine, user_id)["status"] == 1  # type: ignore[index]
    finally:
        runner.wait()
        service.close()
        production.dispose()


def test_drift_fix_on_production_asks_once_with_the_name_typed_and_cancel_changes_nothing(
    qtbot,  # type: ignore[no-untyped-def]
    runner: Runner,
    schema_url: str,
    engine: Engine,
    fb_settings: FirebaseSettings,
    fb: FirebaseClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop.services.database import open_database
    from desktop.ui.confirm import DestructiveConfirmation

    asked: list[str] = []
    monkeypatch.setattr(
        DestructiveConfirmation,
        "exec",
        lambda dialog: asked.append(dialog.database_name) or 0,
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *a: asked.append("question") or 0)
    orphan = fb.auth.create_user(email="orphan@elsewhere.example")
    add_users(engine, [{"email": "none@acme.example", "name": "No Account"}])
    production = open_database(schema_url, label="Prod", environment="production")
    service = FirebaseAccounts(production.engine, fb_settings, database=production)
    dialog = DriftDialog(runner, service)
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        with qtbot.waitSignal(dialog.report_ready, timeout=20_000):
            dialog.run_button.click()
        dialog.fix_all_button.click()
        runner.wait()
        assert asked == [production.info.database]  # once, the typed-name question only
        assert fb.auth.get_user(orphan.uid).email == "orphan@elsewhere.example"
        assert [
            u for u in fb.auth.list_users().iterate_all() if u.email == "none@acme.example"
        ] == []
    finally:
        runner.wait()
        service.close()
        production.dispose()
