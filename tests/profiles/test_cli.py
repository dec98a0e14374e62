"""`python main.py profile ...` as a script would run it: exit codes, messages, the vault."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop.core.secrets import SERVICE
from desktop.db.embedded import free_port

from .profiles_support import LoginRole, SecretServiceSession, secret_tool_lookup

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cli:
    home: Path
    env: dict[str, str]

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "profile", *args],
            input=stdin,
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    env = {**os.environ, "TENANTRY_HOME": str(home), "PGPASSFILE": str(tmp_path / "none")}
    env.pop("PGPASSWORD", None)
    return Cli(home, env)


def _add_args(role: LoginRole, *extra: str) -> list[str]:
    p = role.profile
    return [
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
        *extra,
    ]


def _files_containing(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_full_life_cycle_through_the_vault(
    cli: Cli, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    name, password = login_role.profile.name, login_role.password
    added = cli(
        *_add_args(login_role, "--environment", "staging", "--password-stdin"),
        stdin=password + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "password saved in the system keyring" in added.stdout
    assert secret_tool_lookup(secret_service, SERVICE, name) == password

    stored = json.loads((cli.home / "config" / "profiles.json").read_text())
    assert stored["profiles"][0]["name"] == name
    assert "password" not in stored["profiles"][0]

    listed = cli("list")
    assert listed.returncode == 0 and name in listed.stdout and "staging" in listed.stdout

    shown = cli("show", name)
    assert shown.returncode == 0
    assert f"user: {login_role.profile.user}" in shown.stdout
    assert "password: saved in the system keyring" in shown.stdout
    assert password not in shown.stdout + shown.stderr

    tested = cli("test", name)
    assert tested.returncode == 0, tested.stderr
    lines = tested.stdout.splitlines()
    assert lines[0].startswith("server version: PostgreSQL 18")
    assert lines[1] == f"user: {login_role.profile.user}"
    assert lines[2] == "read-only: no"

    removed = cli("remove", name)
    assert removed.returncode == 0, removed.stderr
    assert secret_tool_lookup(secret_service, SERVICE, name) is None
    gone = cli("show", name)
    assert gone.returncode == 2
    assert gone.stderr.strip() == f"tenantry profile: No profile named {name!r}."
    assert _files_containing(cli.home, password) == []


def test_read_only_profile_reports_read_only(
    cli: Cli, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    added = cli(
        *_add_args(login_role, "--read-only", "--password-stdin"), stdin=login_role.password
    )
    assert added.returncode == 0, added.stderr
    tested = cli("test", login_role.profile.name)
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.splitlines()[2] == "read-only: yes"
    cli("remove", login_role.profile.name)


def test_failures_are_one_line_and_non_zero(
    cli: Cli, secret_service: SecretServiceSession, login_role: LoginRole
) -> None:
    added = cli(*_add_args(login_role, "--password-stdin"), stdin="wrong-password")
    assert added.returncode == 0, added.stderr
    wrong = cli("test", login_role.profile.name)
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "Wrong password for user" in wrong.stderr
    cli("remove", login_role.profile.name)

    p = login_role.profile
    port = free_port()
    assert (
        cli(
            "add",
            "refused",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database",
            "d",
            "--user",
            "u",
            "--connect-timeout",
            "3",
        ).returncode
        == 0
    )
    started = time.monotonic()
    refused = cli("test", "refused")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"tenantry profile: Connection refused by 127.0.0.1:{port}: no PostgreSQL server is "
        "listening there (is it running? is the port right?)."
    )
    assert time.monotonic() - started < 3 + 5  # the interpreter's start-up included

    bad_db = cli(
        "add",
        "nodb",
        "--host",
        p.host,
        "--port",
        str(p.port),
        "--database",
        "no_such_db",
        "--user",
        p.user,
        "--sslmode",
        "disable",
        "--password-stdin",
        stdin=login_role.password,
    )
    assert bad_db.returncode == 0
    missing = cli("test", "nodb")
    assert missing.returncode == 1 and "'no_such_db' does not exist" in missing.stderr
    assert cli("remove", "nodb").returncode == 0


def test_bad_input_exits_2(cli: Cli) -> None:
    bad_port = cli("add", "x", "--host", "h", "--port", "99999", "--database", "d", "--user", "u")
    assert bad_port.returncode == 2
    assert bad_port.stderr.strip() == "tenantry profile: Port must be between 1 and 65535."
    ok = cli("add", "x", "--host", "h", "--port", "5432", "--database", "d", "--user", "u")
    assert ok.returncode == 0
    again = cli("add", "x", "--host", "h", "--port", "5432", "--database", "d", "--user", "u")
    assert again.returncode == 2 and "already exists" in again.stderr
    env = cli(
        "add",
        "y",
        "--host",
        "h",
        "--port",
        "1",
        "--database",
        "d",
        "--user",
        "u",
        "--environment",
        "prod",
    )
    assert env.returncode == 2 and "invalid choice" in env.stderr
    empty = cli("test", "x", "--password-stdin", stdin="")
    assert empty.returncode == 2 and "no password on stdin" in empty.stderr
    assert cli("remove", "nope").returncode == 2


def test_import_service_and_env(cli: Cli, tmp_path: Path) -> None:
    service_file = tmp_path / "pg_service.conf"
    service_file.write_text(
        "[billing]\nhost=db.example.com\nport=6432\ndbname=billing\nuser=dba\n"
        "sslmode=require\npassword=from-service-file\n"
    )
    cli.env["PGSERVICEFILE"] = str(service_file)
    imported = cli("import-service", "billing", "--environment", "production", "--read-only")
    assert imported.returncode == 0, imported.stderr
    assert "dba@db.example.com:6432/billing" in imported.stdout
    assert "did not copy it" in imported.stdout
    shown = cli("show", "billing").stdout
    assert "sslmode: require" in shown and "environment: production" in shown
    assert "read_only: yes" in shown
    assert _files_containing(cli.home, "from-service-file") == []
    unknown = cli("import-service", "x", "--service", "nope")
    assert unknown.returncode == 2 and "No service [nope]" in unknown.stderr

    cli.env.update(PGHOST="envhost", PGPORT="5433", PGUSER="envuser", PGPASSWORD="env-secret")
    from_env = cli("import-env", "fromenv")
    assert from_env.returncode == 0, from_env.stderr
    assert "envuser@envhost:5433/envuser" in from_env.stdout
    assert _files_containing(cli.home, "env-secret") == []


def test_no_keyring_means_a_clear_refusal_and_nothing_written(
    cli: Cli, login_role: LoginRole
) -> None:
    cli.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
    added = cli(*_add_args(login_role, "--password-stdin"), stdin=login_role.password)
    assert added.returncode == 1
    assert added.stderr.startswith("tenantry profile: No system keyring is available")
    assert cli("list").stdout.startswith("No profiles")  # nothing half-made
    assert cli(*_add_args(login_role)).returncode == 0
    # Session only: the password from stdin is used for this test and not stored.
    tested = cli("test", login_role.profile.name, "--password-stdin", stdin=login_role.password)
    assert tested.returncode == 0, tested.stderr
    assert "password: typed now" in tested.stdout
    without = cli("test", login_role.profile.name)
    assert without.returncode == 1
    assert "asks for a password" in without.stderr and "No system keyring" in without.stderr
    assert _files_containing(cli.home, login_role.password) == []
