"""Model/database drift: what differs between the app's models and the connected schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, Table
from sqlalchemy.engine import Connection

from desktop.db.models import Base
from desktop.services.database import Database


@dataclass(frozen=True)
class Difference:
    kind: str  # e.g. "Missing table", "Extra column", "Type differs"
    table: str
    column: str
    detail: str

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


@dataclass(frozen=True)
class DriftReport:
    database: str
    differences: tuple[Difference, ...]

    @property
    def clean(self) -> bool:
        return not self.differences

    @property
    def summary(self) -> str:
        if self.clean:
            return f"No drift: {self.database} matches the app's models."
        count = len(self.differences)
        plural = "s" if count != 1 else ""
        return f"{count} difference{plural} between the models and {self.database}."


def _column_text(column: Column[Any]) -> str:
    null = "NULL allowed" if column.nullable else "NOT NULL"
    return f"{column.type}, {null}"


def _index_text(index: Index) -> str:
    columns = ", ".join(str(getattr(c, "name", c)) for c in index.expressions)
    unique = "unique " if index.unique else ""
    return f"{unique}index {index.name} on ({columns})"


def _describe(diff: Any) -> list[Difference]:
    """Alembic's autogenerate diff tuples, in words a DBA uses."""
    if isinstance(diff, list):  # modifications of one column come grouped
        return [d for item in diff for d in _describe(item)]
    op = diff[0]
    if op == "add_table":
        table: Table = diff[1]
        return [
            Difference(
                "Missing table", table.name, "", "The models define it; the database lacks it."
            )
        ]
    if op == "remove_table":
        table = diff[1]
        return [Difference("Extra table", table.name, "", "In the database but not in the models.")]
    if op == "add_column":
        _, _schema, tname, column = diff
        return [
            Difference(
                "Missing column",
                tname,
                column.name,
                f"The models define it ({_column_text(column)}); the database lacks it.",
            )
        ]
    if op == "remove_column":
        _, _schema, tname, column = diff
        return [
            Difference(
                "Extra column",
                tname,
                column.name,
                f"In the database ({_column_text(column)}) but not in the models.",
            )
        ]
    if op == "modify_type":
        _, _schema, tname, cname, _info, db_type, model_type = diff
        return [
            Difference(
                "Type differs",
                tname,
                cname,
                f"{db_type} in the database, {model_type} in the models.",
            )
        ]
    if op == "modify_nullable":
        _, _schema, tname, cname, _info, db_nullable, model_nullable = diff
        allows = {True: "allows NULL", False: "is NOT NULL"}
        return [
            Difference(
                "Nullability differs",
                tname,
                cname,
                f"{allows[bool(db_nullable)]} in the database; "
                f"{allows[bool(model_nullable)]} in the models.",
            )
        ]
    if op == "modify_default":
        _, _schema, tname, cname, _info, db_default, model_default = diff
        return [
            Difference(
                "Default differs",
                tname,
                cname,
                f"{db_default} in the database, {model_default} in the models.",
            )
        ]
    if op in ("add_index", "remove_index"):
        index: Index = diff[1]
        table_name = index.table.name if index.table is not None else ""
        if op == "add_index":
            return [
                Difference(
                    "Missing index", table_name, "", f"The models define {_index_text(index)}."
                )
            ]
        return [
            Difference("Extra index", table_name, "", f"The database has {_index_text(index)}.")
        ]
    if op in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        table_name = constraint.table.name if constraint.table is not None else ""
        name = constraint.name or type(constraint).__name__
        missing = op.startswith("add")
        return [
            Difference(
                "Missing constraint" if missing else "Extra constraint",
                table_name,
                "",
                (
                    f"The models define {name}; the database lacks it."
                    if missing
                    else f"The database has {name}; the models do not."
                ),
            )
        ]
    return [Difference("Other difference", "", "", repr(diff))]


def compare(connection: Connection) -> tuple[Difference, ...]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    found = [d for diff in compare_metadata(context, Base.metadata) for d in _describe(diff)]
    # A missing or extra table implies its indexes and constraints: do not list them again.
    whole = {d.table for d in found if d.kind in ("Missing table", "Extra table")}
    return tuple(d for d in found if d.table not in whole or d.kind.endswith("table"))


def check(database: Database) -> DriftReport:
    """Compare `desktop.db.models` with the connected database (reads only; call from a worker)."""
    with database.engine.connect() as connection:
        differences = compare(connection)
    return DriftReport(database=database.info.database, differences=differences)
