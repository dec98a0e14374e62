"""Fixtures: the real Firebase Auth emulator once per session, wiped before each test."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from desktop.db.engine import make_engine
from desktop.services.firebase.client import FirebaseClient, connect
from desktop.services.firebase.settings import FirebaseSettings, emulator_settings

from .helpers import PROJECT_ID, AuthEmulator, SilentServer, ensure_installed


@pytest.fixture(scope="session")
def auth_emulator() -> Iterator[AuthEmulator]:
    """The session's emulator; its accounts are wiped by `emulator_host` before each test."""
    ensure_installed()
    emulator = AuthEmulator()
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        emulator.stop()
        if callable(previous):
            previous(signum, frame)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def emulator_host(auth_emulator: AuthEmulator) -> str:
    """HOST:PORT of a running emulator with no accounts."""
    auth_emulator.wipe()
    return auth_emulator.host


@pytest.fixture
def short_lived_emulator() -> Iterator[AuthEmulator]:
    """A second emulator of its own, for tests that stop it midway."""
    ensure_installed()
    emulator = AuthEmulator()
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.stop()


# --- Tenantry objects bound to the emulator and to a fresh database -------------------


@pytest.fixture
def fb_settings(emulator_host: str) -> FirebaseSettings:
    return emulator_settings(PROJECT_ID, emulator_host)


@pytest.fixture
def fb(fb_settings: FirebaseSettings) -> Iterator[FirebaseClient]:
    client = connect(fb_settings)
    yield client
    client.close()


@pytest.fixture
def engine(schema_url: str) -> Iterator[Engine]:
    engine = make_engine(schema_url)
    yield engine
    engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()
