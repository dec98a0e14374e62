"""Passwords through the real Secret Service (gnome-keyring), and without any keyring."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from desktop.core import paths
from desktop.core.profiles import ProfileStore
from desktop.core.secrets import (
    SERVICE,
    KeyringLockedError,
    NoKeyringError,
    SecretStore,
    SessionPasswords,
)
from desktop.db import errors
from desktop.services.connect import Connector

from .profiles_support import (
    LoginRole,
    SecretServiceSession,
    secret_tool_lookup,
)


def _files_containing(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_keyring_round_trip_is_in_the_vault_and_nowhere_else(
    secret_service: SecretServiceSession, login_role: LoginRole, home: Path
) -> None:
    handler = logging.FileHandler(paths.ensure(paths.log_dir()) / "test.log")
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        store = ProfileStore()
        secrets = SecretStore()
        assert secrets.is_system_vault()
        assert secrets.check() == "SecretService Keyring"
        connector = Connector(store, secrets, SessionPasswords())
        profile = store.add(login_role.profile)

        opened = connector.open(profile, login_role.password, remember=True)
        opened.database.dispose()
        assert opened.notice is None
        assert secret_tool_lookup(secret_service, SERVICE, profile.name) == login_role.password
        assert secrets.get(profile.name) == login_role.password
        assert profile.name not in connector.session  # it is in the vault, not in memory

        # Reconnecting takes the password from the vault.
        report = connector.test(profile)
        assert report.password_source == "keyring" and report.user == profile.user

        assert connector.remove(profile.name) is None
        assert secret_tool_lookup(secret_service, SERVICE, profile.name) is None
        assert secrets.get(profile.name) is None
        assert secrets.delete(profile.name) is False
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert list(home.rglob("*.log")), "the logs were written under TENANTRY_HOME"
    assert _files_containing(home, login_role.password) == []


def test_password_is_saved_only_after_a_successful_connection(
    secret_service: SecretServiceSession, login_role: LoginRole, home: Path
) -> None:
    connector = Connector(ProfileStore(), SecretStore(), SessionPasswords())
    profile = connector.store.add(login_role.profile)
    with pytest.raises(errors.WrongPassword):
        connector.open(profile, "wrong-password", remember=True)
    assert secret_tool_lookup(secret_service, SERVICE, profile.name) is None
    assert profile.name not in connector.session
    connector.secrets.set(profile.name, "stale-password")
    with pytest.raises(errors.WrongPassword, match="saved in the system keyring"):
        connector.test(profile)
    connector.remove(profile.name)


def test_no_keyring_clear_message_and_session_only_password(
    no_keyring: None, login_role: LoginRole, home: Path
) -> None:
    secrets = SecretStore()
    with pytest.raises(NoKeyringError, match="No system keyring is available"):
        secrets.check()
    with pytest.raises(NoKeyringError):
        secrets.set("anything", "x")
    connector = Connector(ProfileStore(), secrets, SessionPasswords())
    profile = connector.store.add(login_role.profile)

    # Nothing typed, nothing saved: the server's demand names the keyring problem.
    with pytest.raises(errors.PasswordRequired, match="No system keyring is available"):
        connector.test(profile)

    opened = connector.open(profile, login_role.password, remember=True)
    opened.database.dispose()
    assert opened.notice and "this session only" in opened.notice
    # The next connection in this session needs no typing.
    report = connector.test(profile)
    assert report.password_source == "session"
    assert _files_containing(home, login_role.password) == []
    assert _files_containing(Path.home() / ".local/share", login_role.password) == []


def test_locked_keyring_clear_message_and_session_only_password(
    own_secret_service: SecretServiceSession, login_role: LoginRole, home: Path
) -> None:
    import secretstorage

    secrets = SecretStore()
    assert secrets.check() == "SecretService Keyring"
    bus = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(bus)
        collection.lock()
        assert collection.is_locked()
    finally:
        bus.close()
    with pytest.raises(KeyringLockedError, match="The system keyring is locked"):
        secrets.check()
    connector = Connector(ProfileStore(), secrets, SessionPasswords())
    profile = connector.store.add(login_role.profile)
    with pytest.raises(errors.PasswordRequired, match="keyring is locked"):
        connector.test(profile)
    opened = connector.open(profile, login_role.password, remember=True)
    opened.database.dispose()
    assert opened.notice and "this session only" in opened.notice and "locked" in opened.notice
    assert connector.test(profile).password_source == "session"
    assert _files_containing(home, login_role.password) == []
    assert _files_containing(own_secret_service.data_home, login_role.password) == []
