"""Fixtures for the migrations panel: test-only script directories, open databases, a runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.db import migrate
from desktop.services.database import Database, open_database

HERE = Path(__file__).resolve().parent
EXTRA = HERE.parent / "migration_scripts"

MakeScripts = Callable[[str], Path]


@pytest.fixture
def make_scripts(tmp_path: Path) -> MakeScripts:
    """The real script directory (from the installed package) plus one test-only folder."""

    def make(extra: str) -> Path:
        target = tmp_path / f"scripts_{extra}"
        if target.exists():
            return target
        shutil.copytree(
            migrate.script_location(),
            target,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        for revision in sorted((EXTRA / extra).glob("*.py")):
            shutil.copy(revision, target / "versions" / revision.name)
        return target

    return make


def _open(url: str, environment: str = "development", read_only: bool = False) -> Database:
    return open_database(url, label="Test database", environment=environment, read_only=read_only)


@pytest.fixture
def empty_db(empty_url: str) -> Iterator[Database]:
    db = _open(empty_url)
    yield db
    db.dispose()


@pytest.fixture
def schema_db(schema_url: str) -> Iterator[Database]:
    db = _open(schema_url)
    yield db
    db.dispose()


@pytest.fixture
def open_db() -> Iterator[Callable[..., Database]]:
    opened: list[Database] = []

    def opener(url: str, environment: str = "development", read_only: bool = False) -> Database:
        db = _open(url, environment, read_only)
        opened.append(db)
        return db

    yield opener
    for db in opened:
        db.dispose()


@pytest.fixture
def runner(qapp: object) -> Iterator[object]:
    """One background runner per test, shut down (and checked) afterwards (as in tests/ui)."""
    from desktop.ui.runner import Runner

    runner = Runner()
    yield runner
    runner.shutdown(timeout_ms=20_000)
    assert runner.wait(0), "a background task was still running after the test"
