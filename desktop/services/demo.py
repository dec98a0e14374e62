"""The demo database: an embedded PostgreSQL cluster, migrated and seeded on first run."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from desktop.core import paths
from desktop.db import migrate, seed
from desktop.db.embedded import EmbeddedPostgres
from desktop.services.database import Database, open_database

log = logging.getLogger(__name__)

DEMO_DATABASE = "tenantry_demo"
DEFAULT_DEMO_USERS = 20_000

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class DemoDatabase:
    """Starts (or adopts) the demo cluster and hands out a connected `Database`."""

    data_dir: Path = field(default_factory=paths.demo_cluster_dir)
    users: int = DEFAULT_DEMO_USERS
    reset: bool = False
    server: EmbeddedPostgres | None = None

    def open(self, progress: Progress = _quiet) -> Database:
        if self.reset and self.data_dir.exists():
            progress("Removing the old demo database…")
            if self.server is None:
                EmbeddedPostgres(self.data_dir).stop()
            shutil.rmtree(self.data_dir)
        progress("Starting the demo PostgreSQL server…")
        self.server = EmbeddedPostgres(self.data_dir)
        admin_url = self.server.start()
        url = ensure_database(admin_url, DEMO_DATABASE)
        engine = create_engine(url)
        try:
            progress("Bringing the demo schema up to date…")
            migrate.upgrade_to_head(engine)
            with engine.begin() as connection:
                if seed.is_empty(connection):
                    progress(f"Creating {self.users:,} demo users…")
                    seed.seed(connection, seed.SeedSize.for_users(self.users))
        finally:
            engine.dispose()
        return open_database(url, label="Demo database", environment="demo")

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def ensure_database(admin_url: str, name: str) -> str:
    """Create database `name` on the server of `admin_url` if missing; return its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
