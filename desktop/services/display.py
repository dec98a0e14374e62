"""Display text for the values a browse view shows (dates in the user's time zone).

Qt-free: block loads format their rows in the background, so painting only looks texts up.
One formatter per column kind, chosen once per block rather than once per value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from desktop.core.user_status import UserStatus
from desktop.services.columns import Kind, TableSpec

MASK = "••••••"

_STATUS_LABELS = {status.value: status.label for status in UserStatus}


def _status(value: Any) -> str:
    label = _STATUS_LABELS.get(value)
    return label if label is not None else UserStatus(value).label  # unknown: ValueError


def _boolean(value: Any) -> str:
    return "Yes" if value else "No"


def _datetime(value: Any) -> str:
    if not isinstance(value, datetime):
        return str(value)
    local = value.astimezone() if value.tzinfo else value
    return local.isoformat(" ", "minutes")[:16]  # "YYYY-MM-DD HH:MM"


def _masked(value: Any) -> str:
    return f"{MASK} ({value})" if value else MASK


_FORMAT: dict[Kind, Callable[[Any], str]] = {
    Kind.INT: str,
    Kind.TEXT: str,
    Kind.BOOL: _boolean,
    Kind.STATUS: _status,
    Kind.DATETIME: _datetime,
    Kind.MASKED: _masked,
    Kind.JSON: str,
}


def display(kind: Kind, value: Any) -> str:
    return "" if value is None else _FORMAT[kind](value)


Texts = tuple[tuple[str, ...] | None, ...]


def row_texts(spec: TableSpec, rows: Iterable[tuple[Any, ...] | None]) -> Texts:
    """Each row's display texts for the spec's visible columns (None for padding rows)."""
    plan = [(_FORMAT[c.kind], i) for i, c in enumerate(spec.columns) if c.visible]
    return tuple(
        None if row is None else tuple(["" if row[i] is None else form(row[i]) for form, i in plan])
        for row in rows
    )
