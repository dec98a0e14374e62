"""Bad input to `tenantry profile` / `tenantry firebase` / `tenantry`, in real processes with
the real keyring: exit 2, one line on stderr naming the field, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import keyring
import pytest

from desktop.core.secrets import SERVICE, SecretStore

from .profiles_support import LoginRole, SecretServiceSession, secret_tool_lookup

ROOT = Path(__file__).resolve().parents[2]
GOOD = ["--host", "db.internal", "--port", "5432", "--database", "app", "--user", "dba"]


def tenantry(
    home: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TENANTRY_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert result.stdout == ""


def assert_nothing_written(home: Path, session: SecretServiceSession, name: str) -> None:
    assert not (home / "config" / "profiles.json").exists()
    assert secret_tool_lookup(session, SERVICE, name) is None
    assert secret_tool_lookup(session, "Tenantry Firebase", name) is None


@pytest.fixture
def name() -> str:
    return f"in-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        (b"caf\xe9-latin-1\n", ("--password-stdin", "not valid UTF-8", "byte 4")),
        (b"\xff\xfe\x00p\x00w\n", ("--password-stdin", "not valid UTF-8")),
        (b"pass\x00word\n", ("--password-stdin", "NUL")),
        (b"\n", ("--password-stdin", "no password")),
        (b"", ("--password-stdin", "no password")),
        (b"x" * 70_000, ("--password-stdin", "KB")),
    ],
)
def test_a_bad_password_on_stdin_writes_nothing(
    tmp_path: Path,
    secret_service: SecretServiceSession,
    name: str,
    stdin: bytes,
    words: tuple[str, ...],
) -> None:
    home = tmp_path / "home"
    result = tenantry(home, "profile", "add", name, *GOOD, "--password-stdin", stdin=stdin)
    assert_refused(result, *words)
    assert_nothing_written(home, secret_service, name)


def test_profile_test_refuses_a_bad_password_on_stdin(
    tmp_path: Path, secret_service: SecretServiceSession, name: str
) -> None:
    home = tmp_path / "home"
    assert tenantry(home, "profile", "add", name, *GOOD).returncode == 0
    result = tenantry(home, "profile", "test", name, "--password-stdin", stdin=b"\xc3(\n")
    assert_refused(result, "--password-stdin", "UTF-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["profile", "add", "x", "--host", "h"], ("--port", "--database", "--user")),
        (["profile", "add", "x", *GOOD, "--sslmode", "nope"], ("--sslmode", "invalid choice")),
        (["profile", "add", "x", *GOOD, "--bogus"], ("--bogus",)),
        (["profile"], ("COMMAND",)),
        (["profile", "frobnicate"], ("frobnicate",)),
        (["profile", "show"], ("name",)),
        (["firebase", "drift", "--timeout", "soon"], ("--timeout",)),
        (["firebase"], ("COMMAND",)),
        (["--demo-size", "many"], ("--demo-size",)),
        (["--no-such-option"], ("--no-such-option",)),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], words: tuple[str, ...]) -> None:
    result = tenantry(tmp_path / "home", *args)
    assert_refused(result, *words, "--help")
    assert "usage:" not in result.stderr
    assert not (tmp_path / "home" / "config").exists()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--firebase-project", "Not_A_Project"], ("Not_A_Project", "Firebase project id")),
        (
            ["--firebase-project", "demo-tenantry", "--firebase-emulator", "http://x:1"],
            ("emulator address",),
        ),
        (["--firebase-emulator", "127.0.0.1:9099"], ("Firebase emulator needs the project",)),
        (
            ["--firebase-project", "demo-tenantry", "--firebase-credentials", "/nonexistent.json"],
            ("service-account file",),
        ),
        (["--firebase-credentials", "/nonexistent.json"], ("Firebase project",)),
    ],
)
def test_firebase_setting_errors_exit_2_and_write_nothing(
    tmp_path: Path,
    secret_service: SecretServiceSession,
    name: str,
    extra: list[str],
    words: tuple[str, ...],
) -> None:
    home = tmp_path / "home"
    result = tenantry(
        home, "profile", "add", name, *GOOD, *extra, "--password-stdin", stdin=b"pw\n"
    )
    assert_refused(result, *words)
    assert_nothing_written(home, secret_service, name)


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x9b", "U+009B"),  # C1 CSI: a terminal escape in one character
        ("\x1b", "U+001B"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\u200d", "U+200D ZERO WIDTH JOINER"),
        ("\ufeff", "U+FEFF"),
        ("\u2028", "U+2028 LINE SEPARATOR"),
    ],
)
def test_profile_names_refuse_control_bidi_and_zero_width_characters(
    tmp_path: Path, secret_service: SecretServiceSession, char: str, shown: str
) -> None:
    home = tmp_path / "home"
    name = f"prod{char}db"
    result = tenantry(home, "profile", "add", name, *GOOD, "--password-stdin", stdin=b"pw\n")
    assert_refused(result, "Name must not contain control or invisible characters", shown)
    assert char not in result.stderr
    assert_nothing_written(home, secret_service, name)


def test_a_nul_password_saved_by_an_older_version_is_a_message_not_a_crash(
    tmp_path: Path, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    home = tmp_path / "home"
    p = login_role.profile
    flags = ["--host", p.host, "--port", str(p.port), "--database", p.database, "--user", p.user]
    added = tenantry(home, "profile", "add", p.name, *flags, "--sslmode", "disable")
    assert added.returncode == 0, added.stderr
    keyring.get_keyring().set_password(SERVICE, p.name, "bad\x00pw")  # as before the fix
    try:
        result = tenantry(home, "profile", "test", p.name)
        assert result.returncode == 1, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "contains a NUL character" in result.stderr
        assert "a bug" not in result.stderr and "Traceback" not in result.stderr
        shown = tenantry(home, "profile", "show", p.name)
        assert shown.returncode == 0 and "password: unknown" in shown.stdout
    finally:
        SecretStore().delete(p.name)


def test_a_good_add_still_works_and_secret_is_exact(
    tmp_path: Path, secret_service: SecretServiceSession, name: str
) -> None:
    home = tmp_path / "home"
    password = "pä$$ wörd\t'\"\\ 🙂"
    result = tenantry(
        home, "profile", "add", name, *GOOD, "--password-stdin", stdin=password.encode() + b"\r\n"
    )
    try:
        assert result.returncode == 0, result.stderr
        assert secret_tool_lookup(secret_service, SERVICE, name) == password
    finally:
        SecretStore().delete(name)
