"""Helpers shared by the profile tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import keyring.core
import pytest

from desktop.core.profiles import Profile


def unavailable(reason: str) -> None:
    """Skip, or fail with CI=true: a missing component must never pass silently in CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"Secret Service unavailable with CI=true: {reason}")
    pytest.skip(f"Secret Service unavailable: {reason}")


@dataclass
class SecretServiceSession:
    """A running dbus-daemon + gnome-keyring-daemon and the environment to reach them."""

    bus_address: str
    env: dict[str, str]
    data_home: Path


@dataclass
class LoginRole:
    """A password-authenticated role on the test server, and a profile for it."""

    profile: Profile
    password: str
    admin_url: str
    database_url: str


def secret_tool_lookup(session: SecretServiceSession, service: str, account: str) -> str | None:
    """What an independent client (libsecret's secret-tool) finds in the vault."""
    if shutil.which("secret-tool") is None:
        unavailable("secret-tool (libsecret-tools) is not installed")
    result = subprocess.run(
        ["secret-tool", "lookup", "service", service, "username", account],
        env=session.env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout if result.returncode == 0 else None


def forget_detected_keyring() -> None:
    """Make `keyring` detect its backend again on next use (the bus may have changed)."""
    keyring.core._keyring_backend = None  # noqa: SLF001 - no public way to reset detection
