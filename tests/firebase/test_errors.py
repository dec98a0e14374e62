"""Unreachable, silent, over-quota or wrongly credentialed Firebase: clear messages, in time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from desktop.core.errors import KnownError
from desktop.db.models import UserStatus
from desktop.services.firebase import actions, drift_fix
from desktop.services.firebase.accounts import load_user_account
from desktop.services.firebase.client import FirebaseClient, connect
from desktop.services.firebase.drift import Category, DriftEntry, build_report
from desktop.services.firebase.errors import (
    FirebaseCredentialsError,
    FirebaseQuotaError,
)
from desktop.services.firebase.settings import emulator_settings, service_account_settings

from .helpers import PROJECT_ID, AuthEmulator, SilentServer, add_users, closed_port, user_row
from .test_settings import service_account

Action = Callable[[Engine, FirebaseClient, int], object]
ACTIONS: dict[str, Action] = {
    "account info": load_user_account,
    "create": actions.create_account,
    "link": actions.link_account,
    "disable": lambda e, c, u: actions.set_enabled(e, c, u, enabled=False),
    "enable": lambda e, c, u: actions.set_enabled(e, c, u, enabled=True),
    "sign out": actions.sign_out_everywhere,
    "reset link": actions.password_reset_link,
    "hard delete": actions.hard_delete_user,
    "drift report": lambda e, c, u: build_report(e, c),
}


def _assert_nothing_changed(engine: Engine, user_id: int) -> None:
    row = user_row(engine, user_id)
    assert row is not None, "the user row must survive a failed action"
    assert (row["status"], row["firebase_id"], row["active_token_id"]) == (1, "uid-1", "tok")


@pytest.mark.parametrize("name", list(ACTIONS))
def test_connection_refused(engine: Engine, name: str) -> None:
    (user_id,) = add_users(
        engine, [{"email": "u@acme.example", "firebase_id": "uid-1", "active_token_id": "tok"}]
    )
    client = connect(emulator_settings(PROJECT_ID, f"127.0.0.1:{closed_port()}"))
    started = time.monotonic()
    with pytest.raises(KnownError) as caught:
        ACTIONS[name](engine, client, user_id)
    client.close()
    assert time.monotonic() - started < 5
    assert "is unreachable" in caught.value.message, caught.value.message
    assert "emulator at 127.0.0.1:" in caught.value.message
    _assert_nothing_changed(engine, user_id)


@pytest.mark.parametrize("name", ["account info", "disable", "sign out", "drift report"])
def test_silent_server_times_out(engine: Engine, silent_server: SilentServer, name: str) -> None:
    (user_id,) = add_users(
        engine, [{"email": "u@acme.example", "firebase_id": "uid-1", "active_token_id": "tok"}]
    )
    client = connect(emulator_settings(PROJECT_ID, silent_server.host, http_timeout_s=1))
    started = time.monotonic()
    with pytest.raises(KnownError, match="did not answer within 1 s"):
        ACTIONS[name](engine, client, user_id)
    client.close()
    elapsed = time.monotonic() - started
    assert elapsed < 4, f"took {elapsed:.1f} s with a 1 s timeout (one retry)"
    _assert_nothing_changed(engine, user_id)


def test_emulator_stopped_midway(engine: Engine, short_lived_emulator: AuthEmulator) -> None:
    client = connect(emulator_settings(PROJECT_ID, short_lived_emulator.host))
    (user_id,) = add_users(engine, [{"email": "mid@acme.example"}])
    uid = actions.create_account(engine, client, user_id).firebase_uid
    assert load_user_account(engine, client, user_id).exists

    short_lived_emulator.stop()

    for name, action in ACTIONS.items():
        started = time.monotonic()
        with pytest.raises(KnownError, match="is unreachable"):
            action(engine, client, user_id)
        assert time.monotonic() - started < 5, name
    assert user_row(engine, user_id)["firebase_id"] == uid  # type: ignore[index]
    client.close()


def test_bulk_fix_stops_at_the_first_outage(engine: Engine) -> None:
    ids = add_users(
        engine,
        [{"email": f"s{i}@acme.example", "firebase_id": f"u{i}", "status": 2} for i in range(20)],
    )
    entries = [
        DriftEntry(
            Category.STATUS_MISMATCHES,
            uid,
            f"s{i}@acme.example",
            f"u{i}",
            seen_firebase_id=f"u{i}",
            user_status=UserStatus.INACTIVE,
            account_disabled=False,
        )
        for i, uid in enumerate(ids)
    ]
    client = connect(emulator_settings(PROJECT_ID, f"127.0.0.1:{closed_port()}"))
    summary = drift_fix.fix(engine, client, entries)
    client.close()
    assert summary.fixed == [] and len(summary.failed) == 20
    assert summary.stopped is not None and "unreachable" in summary.stopped


class _FixedAnswer(BaseHTTPRequestHandler):
    status = 500
    body: dict[str, object] = {}
    paths: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).paths.append(self.path)
        payload = json.dumps(self.body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(status: int, body: dict[str, object]) -> Iterator[tuple[str, list[str]]]:
    handler = type("Answer", (_FixedAnswer,), {"status": status, "body": body, "paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler.paths
    finally:
        server.shutdown()
        server.server_close()


def test_quota_exceeded(engine: Engine) -> None:
    """A 429 RESOURCE_EXHAUSTED answer (recorded shape of Google's error body)."""
    body = {
        "error": {
            "code": 429,
            "message": "QUOTA_EXCEEDED : Exceeded quota.",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    (user_id,) = add_users(engine, [{"email": "q@acme.example", "firebase_id": "uid-1"}])
    for host, _ in _serve(429, body):
        client = connect(emulator_settings(PROJECT_ID, host))
        with pytest.raises(FirebaseQuotaError, match="quota or rate limit exceeded"):
            load_user_account(engine, client, user_id)
        client.close()


def test_permission_denied(engine: Engine) -> None:
    body = {
        "error": {"code": 403, "message": "INSUFFICIENT_PERMISSION", "status": "PERMISSION_DENIED"}
    }
    (user_id,) = add_users(engine, [{"email": "p@acme.example", "firebase_id": "uid-1"}])
    for host, _ in _serve(403, body):
        client = connect(emulator_settings(PROJECT_ID, host))
        with pytest.raises(FirebaseCredentialsError, match="may not manage users"):
            load_user_account(engine, client, user_id)
        client.close()


def test_rejected_service_account_key(engine: Engine) -> None:
    """Google's token endpoint refuses the key: the request never leaves this machine."""
    body = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    (user_id,) = add_users(engine, [{"email": "k@acme.example", "firebase_id": "uid-1"}])
    for host, paths in _serve(400, body):
        key = service_account(token_uri=f"http://{host}/token")
        client = connect(service_account_settings(key))
        with pytest.raises(
            FirebaseCredentialsError, match="Google rejected the service-account key"
        ):
            load_user_account(engine, client, user_id)
        client.close()
        assert paths and paths[0] == "/token"


def test_missing_credentials_is_a_clear_message(tmp_path: Path) -> None:
    """firebase_admin without credentials raises DefaultCredentialsError (not a FirebaseError)."""
    script = (
        "import firebase_admin\n"
        "from firebase_admin import auth\n"
        "from desktop.services.firebase.errors import firebase_errors\n"
        "app = firebase_admin.initialize_app(options={'projectId': 'tenantry-prod'}, name='x')\n"
        "try:\n"
        "    with firebase_errors('connecting', 'Firebase project tenantry-prod', 5):\n"
        "        auth.Client(app)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, '|', exc)\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "FIREBASE_", "GCLOUD", "CLOUDSDK"))
    }
    # No metadata-server probe (a non-loopback address), no gcloud config of this machine.
    env.update({"NO_GCE_CHECK": "true", "CLOUDSDK_CONFIG": str(tmp_path), "HOME": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.startswith("FirebaseCredentialsError | No credentials for "), (
        result.stdout + result.stderr
    )
    assert "service-account key" in result.stdout
