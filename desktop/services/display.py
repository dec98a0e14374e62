"""Display text for the values a browse view shows (dates in the user's time zone).

Qt-free: block loads format their rows in the background, so painting only looks texts up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from desktop.db.user_status import UserStatus
from desktop.services.columns import Kind, TableSpec

MASK = "••••••"


def display(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind is Kind.STATUS:
        return UserStatus(value).label
    if kind is Kind.BOOL:
        return "Yes" if value else "No"
    if kind is Kind.DATETIME and isinstance(value, datetime):
        local = value.astimezone() if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    if kind is Kind.MASKED:
        return f"{MASK} ({value})" if value else MASK
    if kind is Kind.INT:
        return str(value)
    return str(value)


Texts = tuple[tuple[str, ...] | None, ...]


def row_texts(spec: TableSpec, rows: Iterable[tuple[Any, ...] | None]) -> Texts:
    """Each row's display texts for the spec's visible columns (None for padding rows)."""
    plan = [(c.kind, i) for i, c in enumerate(spec.columns) if c.visible]
    return tuple(
        None if row is None else tuple(display(kind, row[i]) for kind, i in plan) for row in rows
    )
