"""Alembic: the first revision creates the spec'd schema; up, down, up; no drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect

from desktop.db import migrate

ROOT = Path(__file__).resolve().parents[1]


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_no_drift(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        migrate.upgrade_to_head(engine)
        assert {"organization", "user", "plugin"} <= _tables(empty_url)
        assert migrate.is_at_head(engine)
        with engine.begin() as connection:
            command.downgrade(migrate.alembic_config(connection), "base")
        assert _tables(empty_url) == {"alembic_version"}
        migrate.upgrade_to_head(engine)
        assert migrate.is_at_head(engine)
        with engine.connect() as connection:
            command.check(migrate.alembic_config(connection))  # raises on any drift
    finally:
        engine.dispose()


def test_plain_alembic_cli_from_the_repository_root(empty_url: str) -> None:
    env = {**os.environ, "TENANTRY_DATABASE_URL": empty_url}
    alembic = [sys.executable, "-m", "alembic"]
    for args in (["upgrade", "head"], ["check"], ["downgrade", "base"], ["upgrade", "head"]):
        result = subprocess.run(
            alembic + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, (args, result.stderr)
    assert {"organization", "user", "plugin"} <= _tables(empty_url)


def test_alembic_without_a_database_url_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TENANTRY_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TENANTRY_DATABASE_URL" in result.stderr + result.stdout


def test_scripts_are_found_from_the_package_not_the_current_directory() -> None:
    location = migrate.script_location()
    assert (location / "env.py").exists()
    assert migrate.head_revisions()
