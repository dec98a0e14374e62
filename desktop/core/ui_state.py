"""The window's remembered layout and views, and named saved filters, in one JSON file.

Plain JSON under the config directory (mode 0600), written atomically. It holds only layout
and view settings (sizes, column widths, sort, search and filter values), never a secret. A
file that cannot be read or does not look like ours is ignored with a log line, and replaced
at the next save.

Several windows (processes) share the file. A save reads the file again under its lock and
writes back only what this process changed since it loaded (each window setting, each
view, each saved filter is one key): a window never drops a filter another one saved.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

from desktop.core import jsonfile, paths
from desktop.core.errors import KnownError
from desktop.core.validation import refuse_unsafe_chars

log = logging.getLogger(__name__)

STATE_FILE = "ui-state.json"
FORMAT_VERSION = 1
MAX_NAME_CHARS = 80

Json = dict[str, Any]

#: How deep each section is merged key by key: a window setting, a view, and a saved filter
#: (profile -> view -> name) are the units one process changes without touching the others.
MERGE_DEPTH = {"window": 1, "views": 1, "saved_filters": 3}
_MISSING: Any = object()


def state_path() -> Path:
    return paths.config_dir() / STATE_FILE


class UiStateStore:
    """Reads once, keeps the data in memory; `save()` merges this process's changes into the
    file as it is now (under its lock)."""

    def __init__(self, path: Path | None = None, *, persist: bool = True) -> None:
        self.path = path or state_path()
        self.persist = persist
        self.data: Json = self._read() if persist else self._empty()
        self._loaded: Json = copy.deepcopy(self.data)  # what the file held, as we read it

    def _read(self) -> Json:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._empty()
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("Ignoring the window state file %s: %s", self.path, exc)
            return self._empty()
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, 4,300+ digit numbers
            log.warning("Ignoring the window state file %s: not valid JSON (%s)", self.path, exc)
            return self._empty()
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            log.warning("Ignoring the window state file %s: unknown format", self.path)
            return self._empty()
        for key in ("window", "views", "saved_filters"):
            if not isinstance(data.get(key), dict):
                data[key] = {}
        return data

    @staticmethod
    def _empty() -> Json:
        return {"version": FORMAT_VERSION, "window": {}, "views": {}, "saved_filters": {}}

    # -- window and views ---------------------------------------------------------------

    @property
    def window(self) -> Json:
        window: Json = self.data["window"]
        return window

    def view(self, name: str) -> Json:
        """The remembered settings of one view (empty when none or malformed)."""
        value = self.data["views"].get(name)
        return value if isinstance(value, dict) else {}

    def set_view(self, name: str, value: Json) -> None:
        self.data["views"][name] = value

    # -- saved filters ------------------------------------------------------------------

    def _filters_of(self, profile: str, view: str) -> Json:
        by_profile = self.data["saved_filters"].get(profile)
        if not isinstance(by_profile, dict):
            return {}
        by_view = by_profile.get(view)
        return by_view if isinstance(by_view, dict) else {}

    def saved_filter_names(self, profile: str, view: str) -> list[str]:
        return sorted(self._filters_of(profile, view), key=str.casefold)

    def saved_filter(self, profile: str, view: str, name: str) -> Json | None:
        value = self._filters_of(profile, view).get(name)
        return value if isinstance(value, dict) else None

    def save_filter(self, profile: str, view: str, name: str, value: Json) -> str:
        """Store `value` under `name` (trimmed; replaces one of the same name). ValueError
        (a message for people) for a blank name or one with control or invisible characters."""
        clean = " ".join(name.split())[:MAX_NAME_CHARS]
        if not clean:
            raise ValueError("A saved filter needs a name.")
        refuse_unsafe_chars("A saved filter's name", clean)
        by_profile = self.data["saved_filters"].setdefault(profile, {})
        if not isinstance(by_profile, dict):
            by_profile = self.data["saved_filters"][profile] = {}
        by_view = by_profile.setdefault(view, {})
        if not isinstance(by_view, dict):
            by_view = by_profile[view] = {}
        by_view[clean] = value
        return clean

    def delete_filter(self, profile: str, view: str, name: str) -> bool:
        by_view = self._filters_of(profile, view)
        return by_view.pop(name, None) is not None

    # -- writing ------------------------------------------------------------------------

    def save(self) -> None:
        """Merge this process's changes into the file; a failure is logged, never raised (it is
        only layout)."""
        if not self.persist:
            return
        try:
            with jsonfile.locked(self.path):
                merged = merge(self._loaded, self.data, self._read())
                jsonfile.write_atomic(self.path, merged, indent=1)
        except (OSError, KnownError) as exc:
            log.warning("Could not save the window state to %s: %s", self.path, exc)
            return
        self.data.clear()
        self.data.update(merged)
        self._loaded = copy.deepcopy(merged)


def merge(loaded: Json, mine: Json, disk: Json) -> Json:
    """Three-way merge: `disk` with the keys `mine` changed since `loaded` (set or deleted)."""
    merged = copy.deepcopy(disk)
    merged["version"] = FORMAT_VERSION
    for section, depth in MERGE_DEPTH.items():
        merged[section] = _merge(
            loaded.get(section, {}), mine.get(section, {}), disk.get(section, {}), depth
        )
    return merged


def _merge(loaded: Any, mine: Any, disk: Any, depth: int) -> Any:
    if depth == 0 or not all(isinstance(x, dict) for x in (loaded, mine, disk)):
        return mine if mine != loaded else disk
    result = copy.deepcopy(disk)
    for key in set(loaded) | set(mine):
        before, after = loaded.get(key, _MISSING), mine.get(key, _MISSING)
        if before == after:
            continue  # not ours to change: the file's value (or its absence) stays
        if after is _MISSING:
            result.pop(key, None)
        elif key not in disk:
            result[key] = copy.deepcopy(after)
        else:  # new here and new there too (say, both saved a profile's first filter)
            if before is _MISSING and depth > 1:  # merge their keys: none were ours before
                before = {}
            # At the last level a value is whole: ours replaces the file's when we set it
            # (an empty filter we saved is not "unchanged from nothing").
            result[key] = _merge(before, after, disk[key], depth - 1)
    return result
