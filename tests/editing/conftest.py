"""Fixtures for the write paths: a connected Database on a seeded copy, and an Actor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop.services.database import Database, open_database
from desktop.services.writes import Actor


@pytest.fixture
def db(seeded_url: str) -> Iterator[Database]:
    database = open_database(seeded_url, label="Test database", environment="development")
    yield database
    database.dispose()


@pytest.fixture
def other_db(seeded_url: str) -> Iterator[Database]:
    """A second, independent connection to the same database (a colleague)."""
    database = open_database(seeded_url, label="Colleague", environment="development")
    yield database
    database.dispose()


@pytest.fixture
def actor() -> Actor:
    return Actor(profile="test-profile", os_user="tester")
