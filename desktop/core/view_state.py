"""What one browse view shows: search text, filters and sort, as a plain immutable value."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from desktop.core.errors import KnownError

MAX_SEARCH_CHARS = 1_000


@dataclass(frozen=True)
class ViewState:
    """Search, filters and sort of one view ("users", "plugins" or "organizations").

    Filters that do not apply to a view's table are ignored by it. Sort is by a column key
    of that view; ties are always broken by id in the same direction.
    """

    view: str
    search: str = ""
    sort: str = "id"
    descending: bool = False
    statuses: frozenset[int] = field(default_factory=frozenset)
    is_system: bool | None = None
    organization_id: int | None = None
    joined_from: datetime | None = None
    joined_to: datetime | None = None
    login_from: datetime | None = None
    login_to: datetime | None = None
    data_source: str | None = None

    def with_(self, **changes: object) -> ViewState:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_filtered(self) -> bool:
        """True when the view shows a subset of its table (totals then need a count)."""
        base = ViewState(self.view, sort=self.sort, descending=self.descending)
        return replace(self, sort=base.sort, descending=base.descending) != base


def search_term(text: str) -> str:
    """The search text as it will be matched, or a KnownError saying why it cannot be."""
    if "\x00" in text:
        raise KnownError("Search text cannot contain a NUL character (\\0).", field="search")
    term = text.strip()
    if len(term) > MAX_SEARCH_CHARS:
        raise KnownError(
            f"Search text is too long ({len(term):,} characters; at most {MAX_SEARCH_CHARS:,}).",
            field="search",
        )
    return term


def like_pattern(term: str) -> str:
    """A `%term%` ILIKE pattern with LIKE's own wildcards escaped (escape character `\\`)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
