"""The migrations service on a real PostgreSQL: status, previews, runs, refusals."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from desktop.db import migrate
from desktop.services import migration_plan, migration_run, migrations
from desktop.services.database import Database
from desktop.services.migrations import Action, RevisionState

from .conftest import below_head


def _revisions(db: Database) -> tuple[str, ...]:
    with db.engine.connect() as connection:
        return migrate.current_revisions(connection)


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_status_of_an_empty_database(
    empty_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    scripts = make_scripts("two_steps")
    now = migrations.status(empty_db, scripts=scripts)
    assert now.current == ()
    assert now.heads == ("0002",)
    assert [r.revision for r in now.history] == ["0002", "0001"]
    assert all(r.state is RevisionState.PENDING for r in now.history)
    first = now.history[1]
    assert first.parents == () and first.date.startswith("2026-11-29")
    assert now.history[0].parents == ("0001",) and now.history[0].is_head
    assert now.problems == () and not now.at_head
    assert "2 pending" in now.summary


def test_status_marks_applied_and_pending(
    base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    now = migrations.status(base_db, scripts=make_scripts("two_steps"))
    assert now.current == ("0001",)
    states = {r.revision: r.state for r in now.history}
    assert states == {"0001": RevisionState.APPLIED, "0002": RevisionState.PENDING}
    assert [r.revision for r in now.history if r.is_current] == ["0001"]


def test_preview_of_upgrade_from_empty_has_the_create_tables(empty_db: Database) -> None:
    plan = migration_plan.plan(empty_db, Action.UPGRADE)
    for table in ("organization", '"user"', "plugin", "alembic_version"):
        assert f"CREATE TABLE {table}" in plan.sql
    assert plan.start == () and plan.end == tuple(migrate.head_revisions())
    revisions = list(migrate.script_directory().walk_revisions())
    assert len(plan.steps) == len(revisions) and "CREATE TABLE plugin" in plan.steps[0].sql
    assert not plan.drops_data
    assert _tables(empty_db) == set(), "a preview must not touch the database"


def test_upgrade_downgrade_upgrade_with_log_and_progress(
    empty_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    scripts = make_scripts("two_steps")
    lines: list[str] = []
    progress: list[tuple[int, int]] = []

    def run(action: Action, target: str | None = None) -> migrations.RunResult:
        plan = migration_plan.plan(empty_db, action, target, scripts=scripts)
        return migration_run.run(
            empty_db,
            plan,
            scripts=scripts,
            on_log=lines.append,
            on_progress=lambda done, total, what: progress.append((done, total)),
        )

    result = run(Action.UPGRADE)
    assert result.after == ("0002",) == _revisions(empty_db)
    assert progress == [(0, 2), (1, 2), (2, 2)]
    assert any("Running upgrade  -> 0001" in line for line in lines), lines
    assert any("Running upgrade 0001 -> 0002" in line for line in lines), lines
    assert any("CREATE TABLE plugin" in line for line in lines)

    down = migration_plan.plan(empty_db, Action.DOWNGRADE, scripts=scripts)
    assert down.target == "0001" and "DROP COLUMN note" in down.sql
    assert down.drops == ("drops column organization.note and its values",)
    assert any("destroys data" in w for w in down.warnings)
    result = migration_run.run(empty_db, down, scripts=scripts)
    assert result.after == ("0001",) == _revisions(empty_db)

    assert run(Action.UPGRADE).after == ("0002",) == _revisions(empty_db)
    with pytest.raises(migrations.NothingToDo):
        migration_plan.plan(empty_db, Action.UPGRADE, scripts=scripts)

    to_base = migration_plan.plan(empty_db, Action.DOWNGRADE, "base", scripts=scripts)
    assert [s.revision for s in to_base.steps] == ["0002", "0001"]
    assert "drops table user and every row in it" in to_base.drops
    migration_run.run(empty_db, to_base, scripts=scripts)
    assert _revisions(empty_db) == ()
    assert _tables(empty_db) == {"alembic_version"}


def test_upgrade_to_a_chosen_revision(
    empty_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    scripts = make_scripts("two_steps")
    plan = migration_plan.plan(empty_db, Action.UPGRADE, "0001", scripts=scripts)
    assert [s.revision for s in plan.steps] == ["0001"] and plan.end == ("0001",)
    migration_run.run(empty_db, plan, scripts=scripts)
    assert _revisions(empty_db) == ("0001",)


def test_a_failing_revision_leaves_the_database_unchanged(
    base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    scripts = make_scripts("failing")
    plan = migration_plan.plan(base_db, Action.UPGRADE, scripts=scripts)
    assert "CREATE TABLE half_done" in plan.sql
    lines: list[str] = []
    with pytest.raises(migrations.MigrationFailed) as caught:
        migration_run.run(base_db, plan, scripts=scripts, on_log=lines.append)
    assert "no_such_function_tenantry_test" in caught.value.message
    assert "0002" in caught.value.message and "rolled back" in caught.value.message
    assert _revisions(base_db) == ("0001",)
    assert "half_done" not in _tables(base_db)
    with base_db.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("organization")}
    assert "note" not in columns
    assert any("CREATE TABLE half_done" in line for line in lines)
    assert lines[-1] == "Rolled back. The database is still at 0001."


def test_multiple_heads_are_explained(
    base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    now = migrations.status(base_db, scripts=make_scripts("branches"))
    assert now.multiple_heads and set(now.heads) == {"0002a", "0002b"}
    assert len(now.problems) == 1
    assert "2 heads" in now.problems[0] and "merge" in now.problems[0]
    plan = migration_plan.plan(base_db, Action.UPGRADE, scripts=make_scripts("branches"))
    assert {s.revision for s in plan.steps} == {"0002a", "0002b"}
    assert any("2 heads" in w for w in plan.warnings)


def test_an_unknown_revision_is_explained_and_only_stamp_is_allowed(
    base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    ahead = make_scripts("ahead")
    migration_run.run(
        base_db, migration_plan.plan(base_db, Action.UPGRADE, scripts=ahead), scripts=ahead
    )
    assert _revisions(base_db) == ("9003",)
    now = migrations.status(base_db)  # the app's real scripts do not know 9003
    assert now.unknown_current == ("9003",)
    assert "ahead of the app's migration scripts" in now.problems[0]
    assert all(r.state is RevisionState.UNKNOWN for r in now.history)
    for action in (Action.UPGRADE, Action.DOWNGRADE):
        with pytest.raises(migrations.MigrationRefused, match="does not know"):
            migration_plan.plan(base_db, action)
    stamp = migration_plan.plan(base_db, Action.STAMP, "0001")
    assert "DELETE FROM alembic_version" in stamp.sql
    assert any("only rewrites the alembic_version" in w for w in stamp.warnings)
    migration_run.run(base_db, stamp)
    assert _revisions(base_db) == ("0001",)
    assert "newer_feature" in _tables(base_db), "stamping never changes the schema"


def test_stamp_preview_and_run(empty_db: Database) -> None:
    plan = migration_plan.plan(empty_db, Action.STAMP, "0001")
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in plan.sql
    assert "CREATE TABLE organization" not in plan.sql
    migration_run.run(empty_db, plan)
    assert _revisions(empty_db) == ("0001",)
    assert _tables(empty_db) == {"alembic_version"}


def test_read_only_database_refuses_every_action(
    schema_url: str, open_db: Callable[..., Database]
) -> None:
    db = open_db(schema_url, read_only=True)
    assert db.info.read_only
    now = migrations.status(db)
    assert now.read_only and now.refusal and "read-only" in now.refusal
    for action, target in (
        (Action.UPGRADE, None),
        (Action.DOWNGRADE, None),
        (Action.DOWNGRADE, "base"),
        (Action.STAMP, "0001"),
    ):
        with pytest.raises(migrations.MigrationRefused, match="read-only"):
            migration_plan.plan(db, action, target)
    writable = open_db(schema_url)
    plan = migration_plan.plan(writable, Action.DOWNGRADE)
    with pytest.raises(migrations.MigrationRefused, match="read-only"):
        migration_run.run(db, plan)
    assert _revisions(db) == tuple(migrate.head_revisions())


def test_production_needs_the_typed_database_name(
    schema_url: str, open_db: Callable[..., Database]
) -> None:
    db = open_db(schema_url, environment="production")
    plan = migration_plan.plan(db, Action.DOWNGRADE)
    assert plan.needs_typed_name
    for typed in (None, "", "tenantry", db.info.database.upper()):
        with pytest.raises(migrations.MigrationRefused, match="type its name") as caught:
            migration_run.run(db, plan, confirmation=typed)
        assert caught.value.field == "confirmation"
    assert _revisions(db) == tuple(migrate.head_revisions())
    migration_run.run(db, plan, confirmation=db.info.database)
    assert _revisions(db) == below_head()


def test_a_database_that_moved_since_the_preview_is_refused(
    base_db: Database, make_scripts: Callable[[str], Path]
) -> None:
    scripts = make_scripts("two_steps")
    plan = migration_plan.plan(base_db, Action.UPGRADE, scripts=scripts)
    with base_db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    with pytest.raises(migrations.MigrationRefused, match="moved since the preview"):
        migration_run.run(base_db, plan, scripts=scripts)


def test_tables_without_history_are_explained(
    empty_url: str, open_db: Callable[..., Database]
) -> None:
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE organization (id bigint primary key)"))
    engine.dispose()
    now = migrations.status(open_db(empty_url))
    assert any("no migration history" in p and "organization" in p for p in now.problems)


def test_scripts_are_found_from_the_installed_package_in_another_directory(
    schema_url: str, tmp_path: Path
) -> None:
    program = textwrap.dedent(
        f"""
        from desktop.db import migrate
        from desktop.services import migration_plan, migrations
        from desktop.services.database import open_database
        db = open_database({schema_url!r}, label="x", environment="development")
        now = migrations.status(db)
        plan = migration_plan.plan(db, migrations.Action.DOWNGRADE)
        print(migrate.script_location())
        print(now.current, now.heads, len(plan.steps))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "TENANTRY_DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    location, numbers = result.stdout.strip().splitlines()
    assert not Path(location).is_relative_to(tmp_path)
    assert (Path(location) / "env.py").exists()
    heads = tuple(migrate.head_revisions())
    assert numbers == f"{heads} {heads} 1"


def test_a_run_is_recorded_in_the_audit_trail_when_it_exists(empty_db: Database) -> None:
    from desktop.services import audit

    result = migration_run.run(empty_db, migration_plan.plan(empty_db, Action.UPGRADE))
    (entry,) = audit.entries(empty_db, entity="schema")
    assert entry.action == "migration: upgrade"
    assert entry.before == {"revisions": []}
    assert entry.after["revisions"] == list(result.after)
    # Going below the revision that creates the audit trail still works (nothing to record).
    migration_run.run(empty_db, migration_plan.plan(empty_db, Action.DOWNGRADE, "base"))
    assert _revisions(empty_db) == ()
