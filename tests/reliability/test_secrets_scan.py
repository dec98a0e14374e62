"""A scripted session that handles every kind of secret, then a scan for them in clear.

The session (real gnome-keyring, real PostgreSQL with a password-authenticated role,
TENANTRY_HOME of its own, the app's logs at DEBUG) stores a database password and a
Firebase service-account key (`tenantry profile add --password-stdin
--firebase-credentials`), connects with them, creates a plugin with known credentials,
reveals them (audited), exports plugins and users as CSV and JSON, copies cells and
whole rows, and crashes on purpose (a slot and a worker whose exceptions carry the
secrets). Then every file under TENANTRY_HOME (config, logs, crash reports, anything
else), the export files, every clipboard text, the Qt settings file and the audit table
are searched for each secret. The scan must find nothing, and must find a planted one.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from profiles.profiles_support import LoginRole, SecretServiceSession, secret_tool_lookup
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton
from sqlalchemy import create_engine, text

from desktop.cli import profile as profile_cli
from desktop.core import logs, redaction
from desktop.core.secrets import SERVICE
from desktop.core.view_state import ViewState
from desktop.services import plugins
from desktop.services.connect import Connector
from desktop.services.export import export_view
from desktop.services.firebase.profile_settings import KEY_SERVICE
from desktop.services.writes import actor_for
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner

from .hostile import generated_pem

PLUGIN_SECRET = "sk_live_scan_91c3e0f7d2a4b8"
PLUGIN_TOKEN = "whsec_scan_5e27aa10c9"
PROJECT = "demo-safety-scan"


def service_account(tmp_path: Path) -> tuple[Path, str, str]:
    """A real (freshly generated) service-account key file: (path, private key, key id)."""
    pem = generated_pem()
    key_id = "f3a9c2" + "5b" * 17
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": f"scanner@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "outside-home" / "key.json"
    path.parent.mkdir()
    path.write_text(json.dumps(info, indent=2))
    return path, pem, key_id


def needles(secrets: dict[str, str]) -> dict[str, list[bytes]]:
    """What a leak of each secret looks like: the text, its JSON escaping, base64 of it, and
    for a PEM key each line of its body (so even part of a key counts)."""
    found: dict[str, list[bytes]] = {}
    for label, secret in secrets.items():
        forms = {secret, json.dumps(secret)[1:-1]}
        forms.add(base64.b64encode(secret.encode()).decode())
        if "PRIVATE KEY" in secret:
            forms |= {line for line in secret.splitlines() if len(line) >= 40}
        found[label] = [form.encode() for form in forms]
    return found


def scan(blobs: dict[str, bytes], secrets: dict[str, str]) -> list[tuple[str, str]]:
    """(where, which secret) for every secret found in clear."""
    patterns = needles(secrets)
    return [
        (where, label)
        for where, blob in blobs.items()
        for label, forms in patterns.items()
        if any(form in blob for form in forms)
    ]


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def scan_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """TENANTRY_HOME for this session, with the app's log file (DEBUG) in it."""
    home = tmp_path / "home"
    monkeypatch.setenv("TENANTRY_HOME", str(home))
    root = logging.getLogger()
    handler = logs.file_handler()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield home
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
        redaction.forget_all()


def test_no_secret_is_left_in_clear_after_a_full_session(
    qtbot: Any,
    secret_service: SecretServiceSession,
    login_role: LoginRole,
    scan_home: Path,
    runner: Runner,
    tmp_path: Path,
) -> None:
    key_file, private_key, key_id = service_account(tmp_path)
    role = login_role.profile
    name = "scan session"
    secrets = {
        "database password": login_role.password,
        "service-account private key": private_key,
        "service-account key id": key_id,
        "plugin api_key": PLUGIN_SECRET,
        "plugin webhook token": PLUGIN_TOKEN,
    }

    # 1. Store the database password and the Firebase key (the CLI, as a DBA would).
    out, err = io.StringIO(), io.StringIO()
    code = profile_cli.main(
        ["add", name, "--host", role.host, "--port", str(role.port), "--database", role.database]
        + ["--user", role.user, "--sslmode", "disable", "--password-stdin"]
        + ["--firebase-project", PROJECT, "--firebase-credentials", str(key_file)],
        out=out,
        err=err,
        stdin=io.StringIO(login_role.password + "\n"),
    )
    assert code == 0, err.getvalue()
    assert secret_tool_lookup(secret_service, SERVICE, name) == login_role.password
    stored_key = secret_tool_lookup(secret_service, KEY_SERVICE, name)
    assert stored_key is not None and private_key.splitlines()[1] in stored_key.replace("\\n", "\n")

    # 2. Connect with the password from the keyring; create a plugin, reveal it (audited).
    connector = Connector()
    database = connector.open(connector.store.get(name)).database
    actor = actor_for(database)
    credentials = {"api_key": PLUGIN_SECRET, "webhook": {"token": PLUGIN_TOKEN}}
    created = plugins.create(
        database,
        actor,
        {
            "organization_id": 1,
            "data_source": "stripe",
            "title": "Scan canary",
            "credentials": json.dumps(credentials),
            "properties": json.dumps({"region": "eu"}),
        },
    )
    assert plugins.reveal_credentials(database, actor, created.id) == credentials

    # 3. Export plugins and users, CSV and JSON.
    exports = tmp_path / "exports"
    exports.mkdir()
    for view in ("plugins", "users"):
        for fmt in ("csv", "json"):
            export_view(database.engine, ViewState(view), exports / f"{view}.{fmt}", fmt)
    assert "Scan canary" in (exports / "plugins.json").read_text()

    # 4. The window: copy cells and whole rows of the plugins grid (the new plugin first).
    clipboard: dict[str, bytes] = {}
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    window.crashes.install()
    try:
        with qtbot.waitSignal(window.first_pages_loaded, timeout=30_000):
            window.set_database(database)
        tab = window.browse_tabs["plugins"]
        tab.model.set_state(ViewState("plugins", search="Scan canary"))
        qtbot.waitUntil(
            lambda: (
                tab.model.rowCount() == 1
                and (tab.model.record(0) or {}).get("title") == "Scan canary"
            ),
            timeout=10_000,
        )
        tab.view.selectAll()
        tab.copy_cells()
        clipboard["clipboard after Copy (cells)"] = QGuiApplication.clipboard().text().encode()
        tab.copy_rows()
        clipboard["clipboard after Copy rows"] = QGuiApplication.clipboard().text().encode()
        assert b"api_key" in b"".join(clipboard.values())

        # 5. Crash on purpose: a slot and a worker whose exceptions carry every secret.
        leaky = " ".join(secrets.values())
        button = QPushButton("Crash", window)

        def broken_slot() -> None:
            raise RuntimeError(f"bug in a slot while saving {leaky}")

        def broken_job() -> None:
            raise ValueError(f"bug in a worker: postgresql://{role.user}:{login_role.password}@x/y")

        button.clicked.connect(broken_slot)
        button.click()
        runner.submit(broken_job)
        qtbot.waitUntil(
            lambda: window.crashes.dialog is not None and len(window.crashes.dialog.reports) == 2,
            timeout=10_000,
        )
        dialog = window.crashes.dialog
        assert dialog is not None
        dialog.copy_button.click()
        clipboard["clipboard after Copy details (crash)"] = (
            QGuiApplication.clipboard().text().encode()
        )
        clipboard["crash dialog text"] = dialog.details.toPlainText().encode()
    finally:
        window.crashes.uninstall()
    runner.wait()
    database.dispose()

    # 6. The scan.
    admin = create_engine(login_role.database_url)
    with admin.connect() as connection:
        audit = connection.execute(
            text("SELECT string_agg(t::text, E'\\n') FROM tenantry_audit t")
        ).scalar_one()
    admin.dispose()
    audit_text = (audit or "").encode()
    blobs = {f"TENANTRY_HOME/{k}": v for k, v in files_under(scan_home).items()}
    blobs |= {f"export {k}": v for k, v in files_under(exports).items()}
    blobs |= clipboard
    blobs["tenantry_audit table"] = audit_text
    qt_settings = Path(QSettings("Tenantry", "Tenantry").fileName())
    if qt_settings.is_file():
        blobs[f"Qt settings {qt_settings}"] = qt_settings.read_bytes()
    expected = {"config/profiles.json", "logs/tenantry.log"}
    assert expected <= {k.removeprefix("TENANTRY_HOME/") for k in blobs}, sorted(blobs)
    crash_reports = [k for k in blobs if "/data/crashes/crash-" in k]
    assert len(crash_reports) == 2, sorted(blobs)
    assert (
        b"reveal_credentials" in audit_text
        and b"bug in a slot" in blobs[crash_reports[0]] + (blobs[crash_reports[1]])
    )
    assert scan(blobs, secrets) == []

    # 7. The scan can fail: a planted secret is found, wherever it is and however written.
    planted = {
        "TENANTRY_HOME/config/planted.json": json.dumps({"k": private_key}).encode(),
        "export planted.csv": f"x,{PLUGIN_SECRET},y".encode(),
        "clipboard planted": base64.b64encode(login_role.password.encode()),
    }
    assert sorted(scan(planted, secrets)) == [
        ("TENANTRY_HOME/config/planted.json", "service-account private key"),
        ("clipboard planted", "database password"),
        ("export planted.csv", "plugin api_key"),
    ]
