"""`tenantry firebase drift`: JSON on stdout and exit status 0 / 1 / 2, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.drift import Category

from .helpers import PROJECT_ID, add_users, closed_port

ROOT = Path(__file__).resolve().parents[2]


def tenantry(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIREBASE_AUTH_EMULATOR_HOST"}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def drift(url: str, host: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return tenantry(
        "firebase",
        "drift",
        "--database-url",
        url,
        "--project",
        PROJECT_ID,
        "--emulator",
        host,
        *extra,
    )


def test_no_drift_exits_0(schema_url: str, engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="ok@acme.example")
    add_users(engine, [{"email": "ok@acme.example", "firebase_id": record.uid}])

    result = drift(schema_url, fb.settings.emulator_host or "", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {category.value: [] for category in Category}


def test_drift_exits_1_with_one_list_per_category(
    schema_url: str, engine: Engine, fb: FirebaseClient
) -> None:
    orphan = fb.auth.create_user(email="orphan@acme.example")
    renamed = fb.auth.create_user(email="old@acme.example")
    none, changed = add_users(
        engine,
        [
            {"email": "none@acme.example"},
            {"email": "new@acme.example", "firebase_id": renamed.uid},
        ],
    )

    result = drift(schema_url, fb.settings.emulator_host or "", "--json")

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert list(report) == [category.value for category in Category]
    assert report["users_without_account"] == [
        {"user_id": none, "email": "none@acme.example", "firebase_uid": None}
    ]
    assert report["accounts_without_user"] == [
        {"user_id": None, "email": "orphan@acme.example", "firebase_uid": orphan.uid}
    ]
    assert report["email_mismatches"] == [
        {
            "user_id": changed,
            "email": "new@acme.example",
            "firebase_uid": renamed.uid,
            "firebase_email": "old@acme.example",
        }
    ]
    assert report["firebase_id_pointing_nowhere"] == report["status_mismatches"] == []


def test_text_output(schema_url: str, engine: Engine, fb: FirebaseClient) -> None:
    add_users(engine, [{"email": "none@acme.example"}])
    result = drift(schema_url, fb.settings.emulator_host or "")
    assert result.returncode == 1
    assert "1 users, 0 accounts checked" in result.stdout
    assert "Users without a Firebase account (1)" in result.stdout
    assert "none@acme.example" in result.stdout


def test_unreachable_firebase_exits_2(schema_url: str) -> None:
    result = drift(schema_url, f"127.0.0.1:{closed_port()}", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "is unreachable" in result.stderr


def test_bad_arguments_exit_2(schema_url: str, tmp_path: Path) -> None:
    bad_key = tmp_path / "key.json"
    bad_key.write_text("{not json")
    cases = [
        ("--project", PROJECT_ID, "--emulator", "127.0.0.1:1"),  # no database URL
        ("--database-url", schema_url, "--project", "Bad_Id", "--emulator", "127.0.0.1:1"),
        ("--database-url", schema_url, "--project", PROJECT_ID, "--credentials", str(bad_key)),
        (
            "--database-url",
            "postgresql+psycopg2://u@127.0.0.1:1/x",
            "--project",
            PROJECT_ID,
            "--emulator",
            "127.0.0.1:1",
        ),
    ]
    expected = [
        "--database-url",
        "not a Firebase project id",
        "not valid JSON",
        "Connection refused by 127.0.0.1:1",
    ]
    for args, message in zip(cases, expected, strict=True):
        env_free = tenantry("firebase", "drift", *args)
        assert env_free.returncode == 2, (args, env_free.stderr)
        assert message in env_free.stderr, env_free.stderr


def test_subcommand_does_not_load_qt() -> None:
    code = (
        "import sys; from desktop.app import main\n"
        "status = main(['firebase', 'drift', '--project', 'demo-tenantry', '--emulator',"
        " '127.0.0.1:1'])\n"
        "assert 'PySide6' not in sys.modules, 'Qt was imported'\n"
        "print('status', status)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TENANTRY_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.stdout.strip() == "status 2", result.stderr


def test_drift_text_escapes_what_would_drive_a_terminal(
    schema_url: str, engine: Engine, fb: FirebaseClient
) -> None:
    """An account's email with OSC/CSI sequences and a bidi override (Firebase accepts
    them) is printed escaped: it cannot retitle the terminal, clear it or reorder text."""
    hostile = "evil\x1b]0;owned\x07\x1b[31m\u202eelpmaxe@acme.example"
    fb.auth.create_user(email=hostile)

    result = drift(schema_url, fb.settings.emulator_host or "")

    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "evil\\x1b]0;owned\\x07\\x1b[31m\\u202eelpmaxe@acme.example" in result.stdout
    as_json = drift(schema_url, fb.settings.emulator_host or "", "--json")
    assert "\x1b" not in as_json.stdout  # JSON escapes control characters itself
    emails = [e["email"] for e in json.loads(as_json.stdout)["accounts_without_user"]]
    assert hostile.lower() in [e.lower() for e in emails]
