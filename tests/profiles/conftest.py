"""Fixtures for profiles and secrets: a private D-Bus session with a real gnome-keyring."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.core
import pytest

KEYRING_UNLOCK_PASSWORD = "test-keyring-unlock"
START_TIMEOUT_S = 10


@dataclass
class SecretServiceSession:
    """A running dbus-daemon + gnome-keyring-daemon and the environment to reach them."""

    bus_address: str
    env: dict[str, str]
    data_home: Path


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"Secret Service unavailable with CI=true: {reason}")
    pytest.skip(f"Secret Service unavailable: {reason}")


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


@pytest.fixture(scope="session")
def secret_service() -> Iterator[SecretServiceSession]:
    """A real Secret Service (gnome-keyring, unlocked) on a private session bus.

    Sets DBUS_SESSION_BUS_ADDRESS for this process (subprocesses inherit it) and makes
    `keyring` detect the new backend; both are undone at the end.
    """
    for tool in ("dbus-daemon", "gnome-keyring-daemon", "dbus-send"):
        if shutil.which(tool) is None:
            _unavailable(f"{tool} is not installed")
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
        _unavailable(f"dbus-daemon did not start: {started.stderr.strip()}")
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
                _unavailable("gnome-keyring-daemon did not take org.freedesktop.secrets")
            time.sleep(0.05)
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        os.environ["XDG_DATA_HOME"] = str(data_home)
        keyring.core.init_backend()
        detected = type(keyring.get_keyring()).__module__
        if detected != "keyring.backends.SecretService":
            _unavailable(f"keyring detected {detected} instead of the Secret Service")
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


def forget_detected_keyring() -> None:
    """Make `keyring` detect its backend again on next use (the bus may have changed)."""
    keyring.core._keyring_backend = None  # noqa: SLF001 - no public way to reset detection


def secret_tool_lookup(session: SecretServiceSession, service: str, account: str) -> str | None:
    """What an independent client (libsecret's secret-tool) finds in the vault."""
    if shutil.which("secret-tool") is None:
        _unavailable("secret-tool (libsecret-tools) is not installed")
    result = subprocess.run(
        ["secret-tool", "lookup", "service", service, "username", account],
        env=session.env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout if result.returncode == 0 else None
