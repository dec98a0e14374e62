"""The connection dialog and the main window's connection wiring, driven with qtbot."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from sqlalchemy import create_engine, insert, text

from desktop.core.profiles import Profile, ProfileStore
from desktop.core.secrets import SERVICE, SecretStore, SessionPasswords
from desktop.db import errors, migrate
from desktop.db.embedded import EmbeddedPostgres
from desktop.db.models import Organization
from desktop.services.connect import ConnectionReport, Connector, Opened
from desktop.ui.connection_dialog import ConnectionDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

from .profiles_support import LoginRole, SecretServiceSession, secret_tool_lookup

ROOT = Path(__file__).resolve().parents[2]


def _connector() -> Connector:
    return Connector(ProfileStore(), SecretStore(), SessionPasswords())


def _fill(dialog: ConnectionDialog, qtbot, profile: Profile, password: str) -> None:  # type: ignore[no-untyped-def]
    form = dialog.form
    form.name.clear()
    qtbot.keyClicks(form.name, profile.name)
    form.host.clear()
    qtbot.keyClicks(form.host, profile.host)
    form.port.setValue(profile.port)
    form.database.clear()
    qtbot.keyClicks(form.database, profile.database)
    form.user.clear()
    qtbot.keyClicks(form.user, profile.user)
    form.sslmode.setCurrentText(profile.sslmode)
    form.connect_timeout.setValue(profile.connect_timeout)
    form.read_only.setChecked(profile.read_only)
    qtbot.keyClicks(form.password, password)


def test_create_test_save_open_with_the_vault(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    home: Path,
    secret_service: SecretServiceSession,
    login_role: LoginRole,
) -> None:
    connector = _connector()
    dialog = ConnectionDialog(runner, connector)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "system keyring (SecretService" in dialog.keyring_label.text())
    assert dialog.form.remember.isEnabled()

    qtbot.mouseClick(dialog.new_button, qtbot_left())
    profile = replace(login_role.profile, read_only=True)
    _fill(dialog, qtbot, profile, login_role.password)

    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.test_button, qtbot_left())
    report = blocker.args[0]
    assert isinstance(report, ConnectionReport)
    text_shown = dialog.outcome.text()
    assert "Connected." in text_shown and "read-only: yes" in text_shown
    assert f"user: {profile.user}" in text_shown and "TLS: no" in text_shown
    # A test saves nothing.
    assert connector.store.load() == []
    assert secret_tool_lookup(secret_service, SERVICE, profile.name) is None

    # Open with a wrong password: the profile is saved, the password is not.
    dialog.form.password.clear()
    qtbot.keyClicks(dialog.form.password, "wrong-password")
    qtbot.mouseClick(dialog.open_button, qtbot_left())
    assert dialog.busy
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "Wrong password" in dialog.outcome.text()
    assert connector.store.get(profile.name) == profile
    assert secret_tool_lookup(secret_service, SERVICE, profile.name) is None

    dialog.form.password.clear()
    qtbot.keyClicks(dialog.form.password, login_role.password)
    with qtbot.waitSignal(dialog.opened, timeout=10_000) as opened_blocker:
        qtbot.mouseClick(dialog.open_button, qtbot_left())
    opened = opened_blocker.args[0]
    assert isinstance(opened, Opened)
    database = opened.database
    try:
        assert database.read_only and database.profile == profile
        assert connector.store.get(profile.name) == profile
        # Saved in the vault after the successful connection, and only there.
        assert secret_tool_lookup(secret_service, SERVICE, profile.name) == login_role.password
        assert not [
            p
            for p in home.rglob("*")
            if p.is_file() and login_role.password.encode() in p.read_bytes()
        ]
    finally:
        database.dispose()
    connector.remove(profile.name)


def qtbot_left():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_wrong_password_is_shown_on_the_password_field(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, home: Path, no_keyring: None, login_role: LoginRole
) -> None:
    dialog = ConnectionDialog(runner, _connector())
    qtbot.addWidget(dialog)
    dialog.show()
    _fill(dialog, qtbot, login_role.profile, "wrong")
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
        dialog.test_profile()
    assert isinstance(blocker.args[0], errors.WrongPassword)
    assert "Wrong password for user" in dialog.outcome.text()
    assert dialog.form.password.styleSheet()  # outlined
    assert dialog.form.password.hasFocus() or not dialog.isActiveWindow()


@pytest.fixture
def silent_port() -> Iterator[int]:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # the kernel completes handshakes; nobody ever answers
    yield server.getsockname()[1]
    server.close()


def test_window_stays_responsive_while_a_test_times_out(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, home: Path, no_keyring: None, login_role: LoginRole, silent_port: int
) -> None:
    dialog = ConnectionDialog(runner, _connector())
    qtbot.addWidget(dialog)
    dialog.show()
    profile = replace(login_role.profile, port=silent_port, connect_timeout=2)
    _fill(dialog, qtbot, profile, "whatever")
    ticks: list[float] = []
    timer = QTimer(dialog)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    started = time.monotonic()
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
        dialog.test_profile()
        assert dialog.busy and not dialog.test_button.isEnabled()
        assert "up to 2 s" in dialog.outcome.text()
    elapsed = time.monotonic() - started
    timer.stop()
    assert isinstance(blocker.args[0], errors.ConnectTimedOut)
    assert "Timed out after 2 s" in dialog.outcome.text()
    assert elapsed < 2 + 1.5
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) > 20 and max(gaps) < 1.0, "the GUI thread was blocked"
    assert dialog.test_button.isEnabled()


def test_no_keyring_session_only_password(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, home: Path, no_keyring: None, login_role: LoginRole
) -> None:
    connector = _connector()
    dialog = ConnectionDialog(runner, connector)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.keyring_checked, timeout=10_000):
        dialog.show()
    assert "No system keyring is available" in dialog.keyring_label.text()
    assert "this session only" in dialog.keyring_label.text()
    assert not dialog.form.remember.isEnabled() and not dialog.form.remember.isChecked()
    _fill(dialog, qtbot, login_role.profile, login_role.password)
    with qtbot.waitSignal(dialog.opened, timeout=10_000) as blocker:
        dialog.open_profile()
    blocker.args[0].database.dispose()
    assert login_role.profile.name in connector.session
    # Reopening needs no typing in this session.
    again = connector.open(connector.store.get(login_role.profile.name))
    again.database.dispose()
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written and not [p for p in written if login_role.password.encode() in p.read_bytes()]


def test_duplicate_and_delete(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, home: Path, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    connector = _connector()
    connector.store.add(login_role.profile)
    connector.secrets.set(login_role.profile.name, login_role.password)
    dialog = ConnectionDialog(runner, connector)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.form.name.text() == login_role.profile.name
    dialog.duplicate_profile()
    copy_name = f"{login_role.profile.name} copy"
    assert connector.store.exists(copy_name)
    assert dialog.form.name.text() == copy_name
    assert "password was not copied" in dialog.outcome.text()

    dialog.select(login_role.profile.name)
    dialog.delete_now(login_role.profile.name)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert not connector.store.exists(login_role.profile.name)
    assert secret_tool_lookup(secret_service, SERVICE, login_role.profile.name) is None
    assert f"Deleted {login_role.profile.name!r}" in dialog.outcome.text()
    assert dialog.list.count() == 1


def test_validation_error_points_at_the_field(qtbot, runner: Runner, home: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ConnectionDialog(runner, _connector())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.form.host.clear()
    assert dialog.save_profile() is False
    assert dialog.outcome.text() == "Host is required."
    assert dialog.form.host.styleSheet()
    assert ProfileStore().load() == []


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[tuple[EmbeddedPostgres, LoginRole]]:
    server = EmbeddedPostgres(tmp_path / "pg", for_tests=True)
    server.start()
    try:
        engine = create_engine(server.url())
        migrate.upgrade_to_head(engine)
        with engine.begin() as c:
            c.execute(text("CREATE ROLE ui_dba LOGIN PASSWORD 'ui-pw'"))
            c.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO ui_dba"))
            c.execute(insert(Organization).values(name="Org"))
        engine.dispose()
        profile = Profile(
            name="ui",
            host="127.0.0.1",
            port=server.running_port,
            database="postgres",
            user="ui_dba",
            connect_timeout=3,
            environment="production",
            read_only=True,
        )
        yield server, LoginRole(profile, "ui-pw", server.url(), server.url())
    finally:
        server.stop()


def test_main_window_banner_on_a_lost_connection_then_reconnect(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    home: Path,
    no_keyring: None,
    private_server: tuple[EmbeddedPostgres, LoginRole],
) -> None:
    server, role = private_server
    connector = _connector()
    window = MainWindow(runner, connector)
    qtbot.addWidget(window)
    window.show()
    opened = connector.open(role.profile, role.password)
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.connection.use(opened)
    assert window.database is opened.database
    assert window.database.read_only
    assert "PRODUCTION" in window.windowTitle() and window.banner.isVisible()
    assert not window.connection.banner.isVisible()

    port = server.running_port
    server.stop()
    with qtbot.waitSignal(window.error_shown, timeout=20_000):
        window.set_database(window.database)  # the next load finds the server gone
    qtbot.waitUntil(window.connection.banner.isVisible, timeout=5_000)
    assert "Connection lost." in window.connection.banner.label.text()
    assert "Connection refused" in window.connection.banner.label.text()

    server.port = port
    server.start()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.connection.banner.button.click()
    assert not window.connection.banner.isVisible()
    assert window.models["organizations"].rowCount() == 1


def test_open_with_profile_flag(  # type: ignore[no-untyped-def]
    tmp_path: Path, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    env = {**os.environ, "TENANTRY_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    run = [sys.executable, str(ROOT / "main.py")]
    p = login_role.profile
    added = subprocess.run(
        [
            *run,
            "profile",
            "add",
            p.name,
            "--host",
            p.host,
            "--port",
            str(p.port),
            "--database",
            p.database,
            "--user",
            p.user,
            "--sslmode",
            "disable",
            "--password-stdin",
        ],
        input=login_role.password,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    smoke = subprocess.run(
        [*run, "--profile", p.name, "--smoke"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert smoke.returncode == 0, smoke.stderr
    missing = subprocess.run(
        [*run, "--profile", "nope", "--smoke"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1
    assert "No profile named 'nope'" in missing.stderr
    subprocess.run([*run, "profile", "remove", p.name], env=env, timeout=60)


def test_edit_and_rename_moves_the_saved_password(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, home: Path, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    connector = _connector()
    old = login_role.profile.name
    connector.store.add(login_role.profile)
    connector.secrets.set(old, login_role.password)
    dialog = ConnectionDialog(runner, connector)
    qtbot.addWidget(dialog)
    dialog.show()
    new = f"{old} renamed"
    dialog.form.name.clear()
    qtbot.keyClicks(dialog.form.name, new)
    dialog.form.environment.setCurrentIndex(0)  # production
    assert dialog.save_profile()
    runner.wait(10_000)
    qtbot.waitUntil(lambda: secret_tool_lookup(secret_service, SERVICE, new) is not None)
    assert secret_tool_lookup(secret_service, SERVICE, new) == login_role.password
    assert secret_tool_lookup(secret_service, SERVICE, old) is None
    assert connector.store.names() == [new]
    assert connector.store.get(new).environment == "production"
    connector.remove(new)


@pytest.mark.parametrize(("button", "expected"), [("apply", True), ("cancel", False)])
def test_production_writes_ask_first(qtbot, qapp, button: str, expected: bool) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox, QWidget

    from desktop.services.database import Database, ServerInfo
    from desktop.ui.confirm import confirm_write

    engine = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")  # never connects
    info = ServerInfo("18.6", "dba", "billing", False)
    production = Database(engine, "Billing", "production", info)
    development = Database(engine, "Dev", "development", info)
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer() -> None:
        box = qapp.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        for candidate in box.buttons():
            is_apply = candidate.text() == "Apply to production"
            if is_apply == (button == "apply"):
                candidate.click()
                return

    QTimer.singleShot(100, answer)
    assert confirm_write(parent, production, "Rename organization 7 to 'Acme'") is expected
    assert seen and "PRODUCTION" in seen[0] and "Rename organization 7 to 'Acme'" in seen[0]
    assert confirm_write(parent, development, "anything") is True
    engine.dispose()


def test_profile_flag_with_a_password_problem_opens_the_dialog(  # type: ignore[no-untyped-def]
    qtbot, qapp, home: Path, no_keyring: None, login_role: LoginRole, monkeypatch
) -> None:
    import argparse

    from desktop.ui.application import _Session

    monkeypatch.setenv("PGPASSFILE", str(home / "no-pgpass"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    ProfileStore().add(login_role.profile)
    args = argparse.Namespace(
        demo=False, demo_size=None, reset=False, profile=login_role.profile.name, smoke=False
    )
    session = _Session(qapp, args)
    qtbot.addWidget(session.window)
    try:
        with qtbot.waitSignal(session.window.error_shown, timeout=10_000) as blocker:
            session.start()
        assert "asks for a password" in blocker.args[0]
        dialog = session.window.connection.dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.form.name.text() == login_role.profile.name
        assert "No system keyring is available" in dialog.outcome.text()
        qtbot.keyClicks(dialog.form.password, login_role.password)
        with qtbot.waitSignal(session.window.first_pages_loaded, timeout=20_000):
            dialog.open_profile()
        assert session.window.database is not None
        assert session.window.database.profile == login_role.profile
    finally:
        session.window.close()
        session.close()


def test_firebase_settings_and_key_import_from_the_dialog(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    home: Path,
    secret_service: SecretServiceSession,
    tmp_path: Path,
) -> None:
    import json

    from firebase.test_settings import service_account

    dialog = ConnectionDialog(runner, _connector())
    qtbot.addWidget(dialog)
    profile = Profile(name="fb dialog", host="127.0.0.1", database="x", user="u")
    _fill(dialog, qtbot, profile, "")
    qtbot.keyClicks(dialog.form.firebase_project, "Not A Project")
    assert not dialog.save_profile()
    assert "not a Firebase project id" in dialog.outcome.text()
    assert dialog.form.firebase_project.styleSheet()  # the field is outlined
    key = service_account(project="tenantry-prod")
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key))
    dialog.form.firebase_project.clear()
    qtbot.keyClicks(dialog.form.firebase_project, "tenantry-prod")
    qtbot.keyClicks(dialog.form.firebase_key, str(key_file))
    assert dialog.save_profile()
    qtbot.waitUntil(lambda: "Importing" not in dialog.outcome.text(), timeout=10_000)
    assert "Firebase key saved" in dialog.outcome.text(), dialog.outcome.text()
    stored = secret_tool_lookup(secret_service, "Tenantry Firebase", "fb dialog")
    assert stored is not None and json.loads(stored)["client_email"] == key["client_email"]
    assert ProfileStore().get("fb dialog").firebase_project == "tenantry-prod"
    assert key["private_key"].splitlines()[3] not in (home / "config" / "profiles.json").read_text()
