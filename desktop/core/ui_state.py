"""The window's remembered layout and views, and named saved filters, in one JSON file.

Plain JSON under the config directory, written atomically. It holds only layout and view
settings (sizes, column widths, sort, search and filter values), never a secret. A file
that cannot be read or does not look like ours is ignored with a log line, and replaced
at the next save.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from desktop.core import paths

log = logging.getLogger(__name__)

STATE_FILE = "ui-state.json"
FORMAT_VERSION = 1
MAX_NAME_CHARS = 80

Json = dict[str, Any]


def state_path() -> Path:
    return paths.config_dir() / STATE_FILE


class UiStateStore:
    """Reads once, keeps the data in memory, writes the whole file on `save()`."""

    def __init__(self, path: Path | None = None, *, persist: bool = True) -> None:
        self.path = path or state_path()
        self.persist = persist
        self.data: Json = self._read() if persist else self._empty()

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
        except json.JSONDecodeError as exc:
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
        """Store `value` under `name` (trimmed; replaces one of the same name)."""
        clean = " ".join(name.split())[:MAX_NAME_CHARS]
        if not clean:
            raise ValueError("a saved filter needs a name")
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
        """Write the file atomically; a failure is logged, never raised (it is only layout)."""
        if not self.persist:
            return
        try:
            folder = paths.ensure(self.path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".ui-state-", suffix=".json", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(self.data, handle, indent=1, sort_keys=True)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("Could not save the window state to %s: %s", self.path, exc)
