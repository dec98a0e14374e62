"""Shared fixtures: a real embedded PostgreSQL for the session, a fresh database per test."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="tenantry-test-home-"))
os.environ["TENANTRY_HOME"] = str(_HOME)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from desktop.core import memory  # noqa: E402
from desktop.db import migrate, seed  # noqa: E402
from desktop.db.embedded import EmbeddedPostgres  # noqa: E402

SEEDED_USERS = 2_000
_counter = itertools.count(1)


def _admin(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _url_for(admin_url: str, database: str) -> str:
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _tmp_path_reachable_by_nobody(request: pytest.FixtureRequest) -> None:
    """Run as root, an embedded server in tmp_path runs as `nobody`: pytest makes its
    temporary folders 0700, so open this test's chain of them (and no other folder)."""
    if "tmp_path" not in request.fixturenames or os.name != "posix" or os.geteuid() != 0:
        return
    path: Path = request.getfixturevalue("tmp_path")
    base = Path(tempfile.gettempdir())
    while path != base and base in path.parents:
        path.chmod(path.stat().st_mode | 0o111)
        path = path.parent


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    """One real PostgreSQL 18 for the whole run, stopped even on SIGTERM."""
    base = Path(tempfile.mkdtemp(prefix="tpgtest-"))
    server = EmbeddedPostgres(base / "data", for_tests=True)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        server.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    server.start()
    try:
        admin = _admin(server.url())
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE template_schema"))
            connection.execute(text("CREATE DATABASE template_seeded"))
        admin.dispose()
        for name, users in (("template_schema", 0), ("template_seeded", SEEDED_USERS)):
            engine = create_engine(_url_for(server.url(), name))
            migrate.upgrade_to_head(engine)
            if users:
                with engine.begin() as connection:
                    seed.seed(connection, seed.SeedSize.for_users(users))
            engine.dispose()
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


def _fresh_database(server: EmbeddedPostgres, template: str) -> Iterator[str]:
    name = f"t{os.getpid()}_{next(_counter)}"
    admin = _admin(server.url())
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    try:
        yield _url_for(server.url(), name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def another_empty_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A second new, empty database in the same test (when `empty_url` is taken)."""
    yield from _fresh_database(pg_server, "template0")


@pytest.fixture
def seeded_users() -> int:
    """How many users the seeded databases hold."""
    return SEEDED_USERS


@pytest.fixture
def empty_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A new database with no tables at all."""
    yield from _fresh_database(pg_server, "template0")


@pytest.fixture
def schema_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A new database migrated to head, with no rows."""
    yield from _fresh_database(pg_server, "template_schema")


@pytest.fixture
def seeded_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A new database migrated to head and seeded with demo data."""
    yield from _fresh_database(pg_server, "template_seeded")


@pytest.fixture
def schema_engine(schema_url: str) -> Iterator[Engine]:
    engine = create_engine(schema_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_engine(seeded_url: str) -> Iterator[Engine]:
    engine = create_engine(seeded_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def qapp(qapp: Any) -> Any:
    """pytest-qt's QApplication, set up as the app's own is (desktop.ui.application):
    cyclic garbage is collected on the GUI thread only, from a timer."""
    from desktop.ui.collector import install

    install(qapp)
    return qapp


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Between tests the event loop may not run for a while: collect what is due here
    (the GUI thread), so a long stretch of Qt-free tests does not pile up garbage."""
    if memory.collecting_thread() is not None:
        memory.collect_due()


@pytest.fixture
def runner(qapp: object) -> Iterator[Any]:
    """One background runner per test, shut down (and checked for leftovers) afterwards."""
    from desktop.ui.runner import Runner

    runner = Runner()
    yield runner
    runner.shutdown(timeout_ms=20_000)
    assert runner.wait(0), "a background task was still running after the test"


@pytest.fixture
def silent_host() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()
