"""What the browse views show, as plain data: columns, kinds, titles, totals.

Deliberately free of SQLAlchemy and Qt, so the window can be built before either the
database layer is imported (start-up time).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: Rows per block: the unit the models load, cache and evict.
BLOCK = 100


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
    #: The server can sort by it (the query layer's `SORTS` has the same keys; a test checks).
    sortable: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One browse view: its name, columns and how to query it."""

    name: str
    title: str
    table: str
    columns: tuple[Column, ...]


#: Every browse row ends with its row version (xmin as text): an inline save compares it
#: with the locked row, so a change to any column, shown or not, is a conflict.
VERSION = Column("version", "Row version", visible=False, sortable=False)

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
                Column("plugins", "Plugins", Kind.INT, sortable=False),
                VERSION,
            ),
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
                VERSION,
            ),
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
                Column("credentials", "Credentials", Kind.MASKED, sortable=False),
                Column("properties", "Properties", Kind.JSON, sortable=False),
                Column("created_at", "Created (UTC)", Kind.DATETIME),
                Column("organization_id", "Organization ID", Kind.INT, visible=False),
                VERSION,
            ),
        ),
    )
}


@dataclass(frozen=True)
class Total:
    """How many rows a view has: exactly, about (an estimate) or more than (a capped count)."""

    value: int
    kind: str = "exact"  # "exact" | "about" | "more_than"

    def describe(self) -> str:
        if self.kind == "about":
            return f"about {self.value:,}"
        if self.kind == "more_than":
            return f"more than {self.value:,}"
        return f"{self.value:,}"
