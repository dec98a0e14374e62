"""A view's search, filters and sort as JSON-safe data, and back (for remembering them)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from desktop.core.view_state import MAX_SEARCH_CHARS, ViewState

log = logging.getLogger(__name__)

_DATES = ("joined_from", "joined_to", "login_from", "login_to")


def to_json(state: ViewState, *, sort: bool = True) -> dict[str, Any]:
    """The non-default parts of `state` (its view name is the caller's key)."""
    data: dict[str, Any] = {}
    if sort:
        data["sort"] = state.sort
        data["descending"] = state.descending
    if state.search:
        data["search"] = state.search
    if state.statuses:
        data["statuses"] = sorted(state.statuses)
    if state.is_system is not None:
        data["is_system"] = state.is_system
    if state.organization_id is not None:
        data["organization_id"] = state.organization_id
    if state.data_source is not None:
        data["data_source"] = state.data_source
    for key in _DATES:
        value = getattr(state, key)
        if value is not None:
            data[key] = value.isoformat()
    return data


def from_json(base: ViewState, data: object, sorts: frozenset[str] | None = None) -> ViewState:
    """`base` with what `data` holds; anything malformed is left at `base`'s value.

    `sorts` are the columns this view can sort by (an unknown sort column is ignored).
    """
    if not isinstance(data, dict):
        return base
    changes: dict[str, object] = {}
    sort = data.get("sort")
    if isinstance(sort, str) and (sorts is None or sort in sorts):
        changes["sort"] = sort
        if isinstance(data.get("descending"), bool):
            changes["descending"] = data["descending"]
    search = data.get("search")
    if isinstance(search, str) and "\x00" not in search:
        changes["search"] = search[:MAX_SEARCH_CHARS]
    statuses = data.get("statuses")
    if isinstance(statuses, list) and all(_is_int(s) for s in statuses):
        changes["statuses"] = frozenset(statuses)
    if data.get("is_system") is None or isinstance(data.get("is_system"), bool):
        changes["is_system"] = data.get("is_system")
    organization = data.get("organization_id")
    if organization is None or (_is_int(organization) and organization > 0):
        changes["organization_id"] = organization
    source = data.get("data_source")
    if source is None or isinstance(source, str):
        changes["data_source"] = source
    for key in _DATES:
        changes[key] = _datetime(data.get(key))
    return base.with_(**changes)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        log.info("Ignoring a remembered date that is not one: %r", value)
        return None
    return moment if moment.tzinfo is not None else moment.astimezone()
