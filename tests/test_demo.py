"""The demo database: plausible, varied seed data, and `--demo --smoke` end to end."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.db.seed import DATA_SOURCES, SeedSize

ROOT = Path(__file__).resolve().parents[1]


def test_seed_counts_and_variety(seeded_engine: Engine, seeded_users: int) -> None:
    size = SeedSize.for_users(seeded_users)
    with seeded_engine.connect() as c:
        assert c.execute(text('SELECT count(*) FROM "user"')).scalar_one() == size.users
        assert c.execute(text("SELECT count(*) FROM organization")).scalar_one() == (
            size.organizations
        )
        assert c.execute(text("SELECT count(*) FROM plugin")).scalar_one() == size.plugins
        statuses = dict(c.execute(text('SELECT status, count(*) FROM "user" GROUP BY 1')).all())
        assert set(statuses) == {1, 2, 3}
        assert statuses[1] > statuses[2] > 0 and statuses[3] > 0
        assert c.execute(text('SELECT count(*) FROM "user" WHERE is_system')).scalar_one() >= 2
        sizes = c.execute(
            text(
                "SELECT max(n), min(n) FROM"
                ' (SELECT count(*) n FROM "user" GROUP BY organization_id) s'
            )
        ).one()
        assert sizes[0] > 5 * sizes[1]  # a few large tenants, many small ones
        assert c.execute(text('SELECT count(DISTINCT name) FROM "user"')).scalar_one() > 300
        sources = set(c.execute(text("SELECT DISTINCT data_source FROM plugin")).scalars())
        assert len(sources) >= 5 and sources <= set(DATA_SOURCES)
        kinds = c.execute(
            text(
                "SELECT count(*) FROM plugin WHERE json_typeof(credentials) <> 'object'"
                " OR json_typeof(properties) <> 'object'"
            )
        ).scalar_one()
        assert kinds == 0
        assert (
            c.execute(
                text("SELECT count(*) FROM \"user\" WHERE email !~ '^[^@ ]+@[a-z0-9-]+\\.example$'")
            ).scalar_one()
            == 0
        )


def test_demo_smoke_end_to_end_then_reuse() -> None:
    home = Path(tempfile.mkdtemp(prefix="tdemo-"))
    home.chmod(0o755)  # like a home others may pass through (mkdtemp makes it 0700)
    env = {**os.environ, "TENANTRY_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, str(ROOT / "main.py"), "--demo", "--demo-size", "500", "--smoke"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    assert (home / "data" / "demo-pg" / "PG_VERSION").exists()
    assert not (home / "data" / "demo-pg" / "postmaster.pid").exists()  # stopped on exit
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stderr
    assert (home / "logs" / "tenantry.log").exists()
    written = {p.relative_to(home).parts[0] for p in home.iterdir()}
    assert written <= {"data", "logs", "config"}


def test_smoke_reports_the_reason_on_failure() -> None:
    home = Path(tempfile.mkdtemp(prefix="tdemobad-"))
    (home / "data" / "demo-pg").mkdir(parents=True)
    (home / "data" / "demo-pg" / "PG_VERSION").write_text("9\n")
    env = {**os.environ, "TENANTRY_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--demo", "--smoke"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "created by PostgreSQL 9" in result.stderr


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="the server runs as nobody only as root"
)
def test_as_root_a_closed_home_is_refused_with_the_reason_and_left_unchanged() -> None:
    home = Path(tempfile.mkdtemp(prefix="tdemoclosed-"))  # mode 0700, like /root
    env = {**os.environ, "TENANTRY_HOME": str(home / "th"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--demo", "--demo-size", "100", "--smoke"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"the folder {home} is closed to other users (mode 0700)" in result.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="root's data folder only as root"
)
def test_as_root_without_tenantry_home_the_demo_lives_in_the_system_state_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop.core import paths

    monkeypatch.delenv("TENANTRY_HOME")
    assert paths.demo_cluster_dir() == Path("/var/lib/tenantry/demo-pg")


def test_bad_arguments_exit_2_with_a_message() -> None:
    for args in (["--demo-size", "lots", "--demo"], ["--reset"], ["--demo-size", "0", "--demo"]):
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, args
        assert "tenantry" in result.stderr


def test_seeding_leaves_the_indexes_and_constraints_exactly_as_the_migrations_made_them(
    schema_engine: Engine, seeded_engine: Engine
) -> None:
    """The seed drops secondary indexes, unique constraints and foreign keys for its load
    and makes them again: the same names, the same definitions, all validated."""
    indexes = text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        " AND tablename IN ('organization', 'user', 'plugin') ORDER BY indexname"
    )
    constraints = text(
        "SELECT conrelid::regclass::text, conname, contype, convalidated,"
        " pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid IN ('organization'::regclass, '\"user\"'::regclass, 'plugin'::regclass)"
        " ORDER BY 1, 2"
    )
    with schema_engine.connect() as empty, seeded_engine.connect() as seeded:
        before = empty.execute(indexes).all(), empty.execute(constraints).all()
        after = seeded.execute(indexes).all(), seeded.execute(constraints).all()
    assert len(before[0]) > 5 and after[0] == before[0]
    kinds = {row[2] for row in before[1]}
    assert {"p", "u", "f", "c"} <= kinds and after[1] == before[1]
