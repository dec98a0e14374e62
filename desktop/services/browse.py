"""Pages of organizations, users and plugins as plain rows for the browse views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.engine import Engine

from desktop.db import queries
from desktop.db.models import Organization, Plugin, User


class Kind(Enum):
    """How a column's values are shown."""

    INT = "int"
    TEXT = "text"
    BOOL = "bool"
    STATUS = "status"
    DATETIME = "datetime"
    MASKED = "masked"
    JSON = "json"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = Kind.TEXT
    visible: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One browse view: its name, columns and how to query it."""

    name: str
    title: str
    table: str
    columns: tuple[Column, ...]
    statement: Callable[[], Select[Any]]
    id_column: Any


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "organizations",
            "Organizations",
            "organization",
            (
                Column("id", "ID", Kind.INT),
                Column("name", "Name"),
                Column("users", "Users", Kind.INT),
                Column("plugins", "Plugins", Kind.INT),
            ),
            queries.organizations,
            Organization.id,
        ),
        TableSpec(
            "users",
            "Users",
            "user",
            (
                Column("id", "ID", Kind.INT),
                Column("name", "Name"),
                Column("email", "Email"),
                Column("organization", "Organization"),
                Column("status", "Status", Kind.STATUS),
                Column("is_system", "System", Kind.BOOL),
                Column("firebase_id", "Firebase UID"),
                Column("date_joined", "Joined", Kind.DATETIME),
                Column("last_login", "Last login", Kind.DATETIME),
                Column("organization_id", "Organization ID", Kind.INT, visible=False),
            ),
            queries.users,
            User.id,
        ),
        TableSpec(
            "plugins",
            "Plugins",
            "plugin",
            (
                Column("id", "ID", Kind.INT),
                Column("title", "Title"),
                Column("data_source", "Data source"),
                Column("organization", "Organization"),
                Column("credentials", "Credentials", Kind.MASKED),
                Column("properties", "Properties", Kind.JSON),
                Column("created_at", "Created (UTC)", Kind.DATETIME),
                Column("organization_id", "Organization ID", Kind.INT, visible=False),
            ),
            queries.plugins,
            Plugin.id,
        ),
    )
}


@dataclass(frozen=True)
class Page:
    rows: list[tuple[Any, ...]]
    last_id: int | None
    complete: bool


def fetch_page(engine: Engine, spec: TableSpec, after_id: int | None, limit: int) -> Page:
    """The next `limit` rows after `after_id` in id order (keyset: no OFFSET)."""
    statement = spec.statement().order_by(spec.id_column).limit(limit)
    if after_id is not None:
        statement = statement.where(spec.id_column > after_id)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(statement)]
    last_id = int(rows[-1][0]) if rows else after_id
    return Page(rows=rows, last_id=last_id, complete=len(rows) < limit)


def estimated_total(engine: Engine, spec: TableSpec) -> int:
    """The planner's row estimate for the whole table (instant, never a COUNT(*))."""
    with engine.connect() as connection:
        value = connection.execute(
            text(
                "SELECT CASE WHEN reltuples < 0 THEN 0 ELSE reltuples::bigint END"
                " FROM pg_class WHERE oid = to_regclass(:name)"
            ),
            {"name": f'public."{spec.table}"'},
        ).scalar()
    return int(value or 0)
