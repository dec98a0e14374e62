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
    """The real script directory (from the installed package) cut back to its first revision,
    plus one test-only folder: the test revisions follow 0001 whatever the app adds later."""

    def make(extra: str) -> Path:
        target = tmp_path / f"scripts_{extra}"
        if target.exists():
            return target
        shutil.copytree(
            migrate.script_location(),
            target,
            ignore=_only_the_base_revision,
        )
        for revision in sorted((EXTRA / extra).glob("*.py")):
            shutil.copy(revision, target / "versions" / revision.name)
        return target

    return make


def _only_the_base_revision(folder: str, names: list[str]) -> list[str]:
    ignored = [n for n in names if n == "__pycache__" or n.endswith(".pyc")]
    if Path(folder).name == "versions":
        ignored += [n for n in names if n.endswith(".py") and n[:4].isdigit() and n[:4] != BASE]
    return ignored


BASE = "0001"


def _open(url: str, environment: str = "development", read_only: bool = False) -> Database:
    return open_database(url, label="Test database", environment=environment, read_only=read_only)


@pytest.fixture
def empty_db(empty_url: str) -> Iterator[Database]:
    db = _open(empty_url)
    yield db
    db.dispose()


@pytest.fixture
def base_db(another_empty_url: str) -> Iterator[Database]:
    """A database of its own at the first revision (0001), whatever the app's head is."""
    from alembic import command

    db = _open(another_empty_url)
    with db.engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), BASE)
    yield db
    db.dispose()


def below_head() -> tuple[str, ...]:
    """Where one downgrade step from the app's head lands."""
    (head,) = migrate.head_revisions()
    down = migrate.script_directory().get_revision(head).down_revision
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


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
