"""Display text for the values a browse view shows (dates in the user's time zone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desktop.db.user_status import UserStatus
from desktop.services.columns import Kind

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
