"""Drift between the models and a real database, described in words."""

from __future__ import annotations

from sqlalchemy import text

from desktop.db.models import Base
from desktop.services import schema_drift
from desktop.services.database import Database


def _alter(db: Database, *statements: str) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_a_database_at_head_has_no_drift(schema_db: Database) -> None:
    report = schema_drift.check(schema_db)
    assert report.clean and report.differences == ()
    assert "No drift" in report.summary


def test_an_added_column_is_listed(schema_db: Database) -> None:
    _alter(schema_db, 'ALTER TABLE "user" ADD COLUMN nickname text')
    report = schema_drift.check(schema_db)
    assert [(d.kind, d.where) for d in report.differences] == [("Extra column", "user.nickname")]
    assert "TEXT, NULL allowed" in report.differences[0].detail
    assert report.summary.startswith("1 difference ")


def test_type_nullability_tables_and_indexes_are_described(schema_db: Database) -> None:
    _alter(
        schema_db,
        'ALTER TABLE "user" ALTER COLUMN status TYPE bigint',
        'ALTER TABLE "user" ALTER COLUMN email DROP NOT NULL',
        "DROP INDEX ix_plugin_organization_id",
        "CREATE INDEX ix_org_name ON organization (name)",
        "CREATE TABLE scratch (id int)",
    )
    found = {(d.kind, d.where): d.detail for d in schema_drift.check(schema_db).differences}
    assert found[("Type differs", "user.status")] == (
        "BIGINT in the database, INTEGER in the models."
    )
    assert found[("Nullability differs", "user.email")] == (
        "allows NULL in the database; is NOT NULL in the models."
    )
    assert "ix_plugin_organization_id" in found[("Missing index", "plugin")]
    assert "ix_org_name on (name)" in found[("Extra index", "organization")]
    assert ("Extra table", "scratch") in found


def test_an_empty_database_misses_every_table(empty_db: Database) -> None:
    kinds = {(d.kind, d.where) for d in schema_drift.check(empty_db).differences}
    assert kinds == {("Missing table", table) for table in Base.metadata.tables}
    assert {"organization", "user", "plugin"} <= set(Base.metadata.tables)
