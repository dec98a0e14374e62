"""Fixtures for profiles and secrets: a private D-Bus session with a real gnome-keyring."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import keyring.core
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from desktop.core.profiles import Profile
from desktop.db.embedded import EmbeddedPostgres

from .profiles_support import LoginRole, SecretServiceSession, forget_detected_keyring, unavailable

KEYRING_UNLOCK_PASSWORD = "test-keyring-unlock"
START_TIMEOUT_S = 10


def _name_has_owner(env: dict[str, str]) -> bool:
    result = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=5,
    )
    return result.returncode == 0 and "boolean true" in result.stdout


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def running_secret_service() -> Iterator[SecretServiceSession]:
    """A real Secret Service (gnome-keyring, unlocked) on a private session bus.

    Sets DBUS_SESSION_BUS_ADDRESS for this process (subprocesses inherit it) and makes
    `keyring` detect the new backend; both are undone at the end.
    """
    for tool in ("dbus-daemon", "gnome-keyring-daemon", "dbus-send"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    base = Path(tempfile.mkdtemp(prefix="tks-"))
    data_home = base / "data"
    runtime = base / "run"
    data_home.mkdir()
    runtime.mkdir(mode=0o700)
    started = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    lines = started.stdout.split()
    if started.returncode != 0 or len(lines) < 2:
        shutil.rmtree(base, ignore_errors=True)
        unavailable(f"dbus-daemon did not start: {started.stderr.strip()}")
    address, bus_pid = lines[0], int(lines[1])
    env = {
        **os.environ,
        "DBUS_SESSION_BUS_ADDRESS": address,
        "XDG_DATA_HOME": str(data_home),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert daemon.stdin is not None
    daemon.stdin.write(KEYRING_UNLOCK_PASSWORD.encode())
    daemon.stdin.close()
    previous = {k: os.environ.get(k) for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME")}
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _name_has_owner(env):
            if daemon.poll() is not None or time.monotonic() > deadline:
                unavailable("gnome-keyring-daemon did not take org.freedesktop.secrets")
            time.sleep(0.05)
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        os.environ["XDG_DATA_HOME"] = str(data_home)
        keyring.core.init_backend()
        detected = type(keyring.get_keyring()).__module__
        if detected != "keyring.backends.SecretService":
            unavailable(f"keyring detected {detected} instead of the Secret Service")
        yield SecretServiceSession(address, env, data_home)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        forget_detected_keyring()
        daemon.terminate()
        try:
            daemon.wait(5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(5)
        _kill(bus_pid)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def secret_service() -> Iterator[SecretServiceSession]:
    """One gnome-keyring for the whole run (tests use distinct profile names)."""
    with running_secret_service() as session:
        yield session


@pytest.fixture
def own_secret_service() -> Iterator[SecretServiceSession]:
    """A gnome-keyring of this test's own (for tests that lock it)."""
    with running_secret_service() as session:
        yield session


@pytest.fixture
def login_role(pg_server: EmbeddedPostgres, seeded_url: str) -> Iterator[LoginRole]:
    """A LOGIN role with a SCRAM password, allowed to write the seeded database."""
    name = f"dba_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    database = make_url(seeded_url).database
    assert database
    admin = create_engine(seeded_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
        connection.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}"))
        connection.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}"))
    profile = Profile(
        name=f"test {name}",
        host="127.0.0.1",
        port=pg_server.running_port,
        database=database,
        user=name,
        sslmode="disable",
        connect_timeout=3,
        environment="development",
    )
    try:
        yield LoginRole(profile, password, pg_server.url(), seeded_url)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                {"n": name},
            )
            connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}"))
            connection.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {name}"))
            connection.execute(text(f"DROP ROLE {name}"))
        admin.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TENANTRY_HOME of this test's own."""
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No D-Bus session at all: what keyring sees on a headless machine or over SSH."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    forget_detected_keyring()
    yield
    forget_detected_keyring()
