"""Firebase settings per profile: emulator or a key in the OS keyring; drift by profile name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from profiles.conftest import secret_service  # noqa: F401  (a real gnome-keyring)
from profiles.profiles_support import SecretServiceSession, secret_tool_lookup
from sqlalchemy.engine import Engine, make_url

from .helpers import PROJECT_ID, add_users
from .test_settings import service_account

ROOT = Path(__file__).resolve().parents[2]


def tenantry(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIREBASE_AUTH_EMULATOR_HOST"}
    env["TENANTRY_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def _connection_flags(url: str) -> list[str]:
    parsed = make_url(url)
    return [
        "--host",
        "127.0.0.1",
        "--port",
        str(parsed.port),
        "--database",
        str(parsed.database),
        "--user",
        "postgres",
        "--sslmode",
        "disable",
    ]


def test_drift_by_profile_with_an_emulator(
    schema_url: str, engine: Engine, emulator_host: str, tmp_path: Path
) -> None:
    (user_id,) = add_users(engine, [{"email": "no.account@acme.example"}])
    added = tenantry(
        tmp_path,
        "profile",
        "add",
        "fb",
        *_connection_flags(schema_url),
        "--firebase-project",
        PROJECT_ID,
        "--firebase-emulator",
        emulator_host,
    )
    assert added.returncode == 0, added.stderr
    result = tenantry(tmp_path, "firebase", "drift", "--profile", "fb", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [e["user_id"] for e in report["users_without_account"]] == [user_id]
    mixed = tenantry(tmp_path, "firebase", "drift", "--profile", "fb", "--project", "x")
    assert mixed.returncode == 2 and "--profile takes" in mixed.stderr


def test_service_account_key_goes_to_the_keyring_only(
    schema_url: str,
    tmp_path: Path,
    secret_service: SecretServiceSession,  # noqa: F811
) -> None:
    key = service_account(project="tenantry-prod")
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key))
    home = tmp_path / "home"
    added = tenantry(
        home,
        "profile",
        "add",
        "prod-fb",
        *_connection_flags(schema_url),
        "--firebase-project",
        "tenantry-prod",
        "--firebase-credentials",
        str(key_file),
    )
    assert added.returncode == 0, added.stderr
    assert "Firebase key saved in the system keyring" in added.stdout
    stored = secret_tool_lookup(secret_service, "Tenantry Firebase", "prod-fb")
    assert stored is not None and json.loads(stored)["private_key_id"] == key["private_key_id"]
    private_fragment = key["private_key"].splitlines()[5]
    for path in home.rglob("*"):
        if path.is_file():
            assert private_fragment not in path.read_text(errors="replace"), path
    removed = tenantry(home, "profile", "remove", "prod-fb")
    assert removed.returncode == 0, removed.stderr
    assert secret_tool_lookup(secret_service, "Tenantry Firebase", "prod-fb") is None


def test_a_bad_key_file_writes_no_profile(schema_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "service_account"')
    home = tmp_path / "home"
    added = tenantry(
        home,
        "profile",
        "add",
        "broken",
        *_connection_flags(schema_url),
        "--firebase-project",
        "tenantry-prod",
        "--firebase-credentials",
        str(bad),
    )
    assert added.returncode != 0
    assert "not valid JSON" in added.stderr
    assert tenantry(home, "profile", "list").stdout.startswith("No profiles")
