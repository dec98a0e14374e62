"""The keyring locked or absent, seen from the connection dialog: a clear message, the
password used for this session only, and nothing written anywhere in plaintext."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from desktop.core.profiles import Profile, ProfileStore
from desktop.core.secrets import SecretStore, SessionPasswords
from desktop.db.embedded import EmbeddedPostgres
from desktop.services.connect import Connector, Opened
from desktop.ui.connection_dialog import ConnectionDialog
from desktop.ui.runner import Runner

from .conftest import MAX_GUI_GAP_S, Heartbeat, shot


def _files_containing(root: Path, secret: str) -> list[Path]:
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.fixture
def password_role(pg_server: EmbeddedPostgres, seeded_url: str) -> Iterator[tuple[Profile, str]]:
    """A LOGIN role that needs a SCRAM password: a profile for it, and the password."""
    name = f"kr_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    admin = create_engine(seeded_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
        c.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"))
    database = make_url(seeded_url).database
    assert database
    try:
        profile = Profile(
            name=f"keyring {name}",
            host="127.0.0.1",
            port=pg_server.running_port,
            database=database,
            user=name,
            sslmode="disable",
            connect_timeout=3,
        )
        yield profile, password
    finally:
        with admin.connect() as c:
            c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                {"n": name},
            )
            c.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}"))
            c.execute(text(f"DROP ROLE {name}"))
        admin.dispose()


def _locked_keyring(stack: ExitStack) -> list[Path]:
    """A real gnome-keyring on a private bus, then locked. Returns its data folder."""
    import secretstorage
    from profiles.conftest import running_secret_service

    session = stack.enter_context(running_secret_service())
    assert SecretStore().check() == "SecretService Keyring"
    bus = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(bus)
        collection.lock()
        assert collection.is_locked()
    finally:
        bus.close()
    return [session.data_home]


def _absent_keyring(stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """No D-Bus session at all: what keyring sees on a headless machine or over SSH."""
    from profiles.profiles_support import forget_detected_keyring

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    forget_detected_keyring()
    stack.callback(forget_detected_keyring)
    return []


@pytest.mark.parametrize("keyring_state", ["locked", "absent"])
def test_keyring_locked_or_absent_in_the_dialog(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    password_role: tuple[Profile, str],
    heartbeat: Heartbeat,
    keyring_state: str,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("TENANTRY_HOME", str(home))
    profile, password = password_role
    with ExitStack() as stack:
        if keyring_state == "locked":
            vault_dirs = _locked_keyring(stack)
            expected = "The system keyring is locked"
        else:
            vault_dirs = _absent_keyring(stack, monkeypatch)
            expected = "No system keyring is available"
        connector = Connector(ProfileStore(), SecretStore(), SessionPasswords())
        dialog = ConnectionDialog(runner, connector)
        qtbot.addWidget(dialog)
        heartbeat.start()
        with qtbot.waitSignal(dialog.keyring_checked, timeout=15_000) as checked:
            dialog.show()
        assert checked.args[0] and expected in checked.args[0]
        shown = dialog.keyring_label.text()
        assert expected in shown and "used for this session only" in shown
        assert not dialog.form.remember.isEnabled() and not dialog.form.remember.isChecked()
        assert "session only" in dialog.form.password_hint.text()
        shot(dialog, f"keyring-{keyring_state}-dialog")

        # Open with a typed password: it connects, and the password stays in memory only.
        qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
        form = dialog.form
        for widget, value in (
            (form.name, profile.name),
            (form.host, profile.host),
            (form.database, profile.database),
            (form.user, profile.user),
            (form.password, password),
        ):
            widget.clear()
            qtbot.keyClicks(widget, value)
        form.port.setValue(profile.port)
        form.sslmode.setCurrentText("disable")
        form.connect_timeout.setValue(3)
        with qtbot.waitSignal(dialog.opened, timeout=15_000) as opened:
            qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
        result = opened.args[0]
        assert isinstance(result, Opened)
        result.database.dispose()
        assert profile.name in connector.session

        # Later in the same session: Test needs no typing (the session-only password).
        again = ConnectionDialog(runner, connector)
        qtbot.addWidget(again)
        again.show()
        again.select(profile.name)
        assert again.form.password.text() == ""
        with qtbot.waitSignal(again.test_finished, timeout=15_000):
            qtbot.mouseClick(again.test_button, Qt.MouseButton.LeftButton)
        assert "Connected." in again.outcome.text()
        assert "password: typed for this session" in again.outcome.text()

        # After a restart (a new session store) nothing remembers it: a clear request.
        restarted = Connector(ProfileStore(), SecretStore(), SessionPasswords())
        fresh = ConnectionDialog(runner, restarted)
        qtbot.addWidget(fresh)
        with qtbot.waitSignal(fresh.keyring_checked, timeout=15_000):
            fresh.show()
        fresh.select(profile.name)
        with qtbot.waitSignal(fresh.test_finished, timeout=15_000):
            qtbot.mouseClick(fresh.test_button, Qt.MouseButton.LeftButton)
        heartbeat.stop()
        message = fresh.outcome.text()
        assert "asks for a password" in message and expected in message, message
        assert fresh.form.password.styleSheet(), "the password field is outlined"

        # Nothing in plaintext: the config folder, the vault's own files, keyrings.alt's.
        for root in [home, *vault_dirs, Path.home() / ".local/share/python_keyring"]:
            assert _files_containing(root, password) == [], root
        assert (home / "config").exists() or any(home.rglob("*.json")), "the profile was saved"
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
