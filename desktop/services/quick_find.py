"""Quick find: organizations, users and plugins by name, email, title or id (the Ctrl+K switcher).

Every query is bounded: an id is a primary-key look-up, an exact email uses the unique
index, substrings walk the primary key a bounded way and then use the pg_trgm GIN indexes
of revision 0002 (services/search_window.py), each with a LIMIT, all under a short
statement timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from desktop.core import cancel
from desktop.core.errors import Cancelled, KnownError
from desktop.core.view_state import like_pattern, search_term
from desktop.db import queries
from desktop.db.models import Organization, Plugin, User
from desktop.services import search_window
from desktop.services.browse import cancellable

Kind = Literal["organization", "user", "plugin"]
KINDS: tuple[Kind, ...] = ("organization", "user", "plugin")
#: Substring search starts at this many characters (ids match from the first digit).
MIN_SUBSTRING = 2
TIMEOUT_MS = 3_000
QUERY_CANCELED = "57014"
MAX_ID = 2**63 - 1
#: Hits of each kind, by default.
LIMIT = 8


@dataclass(frozen=True)
class Hit:
    """One result: what it is, its id, a title and a detail line for people, and the text
    that finds it in its own table's search box (name, email or title)."""

    kind: Kind
    id: int
    title: str
    detail: str
    organization_id: int
    search: str


def is_id(text: str) -> bool:
    """Only ASCII digits: str.isdigit() also accepts "²" and "①", which int() refuses."""
    return text.isascii() and text.isdigit()


def find(engine: Engine, text: str, limit: int = LIMIT) -> list[Hit]:
    """Up to `limit` hits of each kind for `text`; exact id and email matches first."""
    term = search_term(text)
    if not term:
        return []
    number = int(term) if is_id(term) and int(term) <= MAX_ID else None
    substring = len(term) >= MIN_SUBSTRING
    try:
        with cancellable(engine).begin() as connection:
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {TIMEOUT_MS}")
            hits = [
                *_organizations(connection, term, number, substring, limit),
                *_users(connection, term, number, substring, limit),
                *_plugins(connection, term, number, substring, limit),
            ]
    except OperationalError as exc:
        token = cancel.current()
        if token is not None and token.cancelled:
            raise Cancelled("superseded") from exc
        if getattr(exc.orig, "pgcode", None) == QUERY_CANCELED:
            raise KnownError(f"Searching for “{term[:40]}” took too long; type more.") from exc
        raise
    return hits


def _rows(
    connection: Connection,
    query: Select[Any],
    view: str,
    exact: Sequence[ColumnElement[bool]],
    matches: Sequence[ColumnElement[bool]],
    term: str,
    limit: int,
) -> list[Any]:
    """Exact matches (indexed equality) first, then substring matches by id (see
    services/search_window.py: fast for rare and frequent terms alike), deduplicated."""
    rows: dict[int, Any] = {}
    if exact:
        for row in connection.execute(
            query.where(or_(*exact)).order_by(queries.ID_COLUMNS[view]).limit(limit)
        ):
            rows.setdefault(int(row.id), row)
    if matches and len(rows) < limit:
        for row in search_window.first_by_id(connection, query, view, or_(*matches), term, limit):
            rows.setdefault(int(row.id), row)
    return list(rows.values())[:limit]


def _organizations(
    connection: Connection, term: str, number: int | None, substring: bool, limit: int
) -> list[Hit]:
    query = select(Organization.id, Organization.name)
    exact = [Organization.id == number] if number is not None else []
    matches = [Organization.name.ilike(like_pattern(term), escape="\\")] if substring else []
    return [
        Hit("organization", int(r.id), str(r.name), f"Organization #{r.id}", int(r.id), str(r.name))
        for r in _rows(connection, query, "organizations", exact, matches, term, limit)
    ]


def _users(
    connection: Connection, term: str, number: int | None, substring: bool, limit: int
) -> list[Hit]:
    query = select(
        User.id, User.name, User.email, User.organization_id, Organization.name.label("org")
    ).join(Organization, Organization.id == User.organization_id)
    exact: list[ColumnElement[bool]] = [User.email == term]
    if number is not None:
        exact.append(User.id == number)
    pattern = like_pattern(term)
    matches = (
        [User.email.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\")]
        if substring
        else []
    )
    return [
        Hit(
            "user",
            int(r.id),
            f"{r.name} <{r.email}>",
            f"User #{r.id} · {r.org}",
            int(r.organization_id),
            str(r.email),
        )
        for r in _rows(connection, query, "users", exact, matches, term, limit)
    ]


def _plugins(
    connection: Connection, term: str, number: int | None, substring: bool, limit: int
) -> list[Hit]:
    query = select(
        Plugin.id,
        Plugin.title,
        Plugin.data_source,
        Plugin.organization_id,
        Organization.name.label("org"),
    ).join(Organization, Organization.id == Plugin.organization_id)
    exact = [Plugin.id == number] if number is not None else []
    matches = [Plugin.title.ilike(like_pattern(term), escape="\\")] if substring else []
    return [
        Hit(
            "plugin",
            int(r.id),
            str(r.title),
            f"Plugin #{r.id} · {r.data_source} · {r.org}",
            int(r.organization_id),
            str(r.title),
        )
        for r in _rows(connection, query, "plugins", exact, matches, term, limit)
    ]
