"""SELECT statements for the browse views: filters, search, sort and keyset windows (no OFFSET)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tablesample,
    true,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import ClauseAdapter

from desktop.core.errors import KnownError
from desktop.core.view_state import ViewState, like_pattern, search_term
from desktop.db.models import Organization, Plugin, User, UserStatus

# Plugin credentials never leave the server for display: only their key names do.
MASKED_CREDENTIALS = case(
    (
        func.json_typeof(Plugin.credentials) == "object",
        select(func.coalesce(func.string_agg(literal_column("k"), ", "), ""))
        .select_from(func.json_object_keys(Plugin.credentials).alias("k"))
        .scalar_subquery(),
    ),
    else_="",
)

SortKey = tuple[Any, int]


def _user_count() -> Any:
    return (
        select(func.count())
        .where(User.organization_id == Organization.id)
        .correlate(Organization)
        .scalar_subquery()
    )


def _plugin_count() -> Any:
    return (
        select(func.count())
        .where(Plugin.organization_id == Organization.id)
        .correlate(Organization)
        .scalar_subquery()
    )


def _version(table: str) -> Any:
    """The row version (xmin as text) of `table`'s row: the last column of a browse row."""
    return literal_column(f"{table}.xmin::text")


def organizations() -> Select[Any]:
    return select(
        Organization.id,
        Organization.name,
        _user_count(),
        _plugin_count(),
        _version("organization"),
    )


def users() -> Select[Any]:
    return select(
        User.id,
        User.name,
        User.email,
        Organization.name,
        User.status,
        User.is_system,
        User.firebase_id,
        User.date_joined,
        User.last_login,
        User.organization_id,
        _version('"user"'),
    ).join(Organization, Organization.id == User.organization_id)


def plugins() -> Select[Any]:
    return select(
        Plugin.id,
        Plugin.title,
        Plugin.data_source,
        Organization.name,
        MASKED_CREDENTIALS,
        func.left(cast(Plugin.properties, Text), 200),
        Plugin.created_at,
        Plugin.organization_id,
        _version("plugin"),
    ).join(Organization, Organization.id == Plugin.organization_id)


@dataclass(frozen=True)
class Sort:
    """A sortable column: its SQL expression and whether it can be NULL."""

    expr: Any
    nullable: bool = False


SORTS: dict[str, dict[str, Sort]] = {
    "users": {
        "id": Sort(User.id),
        "name": Sort(User.name),
        "email": Sort(User.email),
        "organization": Sort(Organization.name),
        "status": Sort(User.status),
        "is_system": Sort(User.is_system),
        "firebase_id": Sort(User.firebase_id, nullable=True),
        "date_joined": Sort(User.date_joined),
        "last_login": Sort(User.last_login, nullable=True),
        "organization_id": Sort(User.organization_id),
    },
    "plugins": {
        "id": Sort(Plugin.id),
        "title": Sort(Plugin.title),
        "data_source": Sort(Plugin.data_source),
        "organization": Sort(Organization.name),
        "created_at": Sort(Plugin.created_at),
        "organization_id": Sort(Plugin.organization_id),
    },
    "organizations": {
        "id": Sort(Organization.id),
        "name": Sort(Organization.name),
        "users": Sort(_user_count()),
    },
}

ID_COLUMNS: dict[str, Any] = {
    "users": User.id,
    "plugins": Plugin.id,
    "organizations": Organization.id,
}
TABLES: dict[str, Any] = {
    "users": User.__table__,
    "plugins": Plugin.__table__,
    "organizations": Organization.__table__,
}
STATEMENTS = {"users": users, "plugins": plugins, "organizations": organizations}


def sort_of(state: ViewState) -> Sort:
    try:
        return SORTS[state.view][state.sort]
    except KeyError:
        raise KnownError(f"The {state.view} view cannot be sorted by {state.sort!r}.") from None


def conditions(state: ViewState) -> list[ColumnElement[bool]]:
    """The WHERE conditions of `state` (search and filters) for its view's table."""
    where: list[ColumnElement[bool]] = []
    term = search_term(state.search)
    pattern = like_pattern(term) if term else None
    if state.view == "users":
        if pattern:
            where.append(
                or_(
                    User.name.ilike(pattern, escape="\\"),
                    User.email.ilike(pattern, escape="\\"),
                    User.firebase_id.ilike(pattern, escape="\\"),
                )
            )
        if state.statuses:
            valid = {status.value for status in UserStatus}
            if not state.statuses <= valid:
                raise KnownError("Unknown status in the filter.", field="statuses")
            where.append(User.status.in_(sorted(state.statuses)))
        if state.is_system is not None:
            where.append(User.is_system.is_(state.is_system))
        if state.organization_id is not None:
            where.append(User.organization_id == state.organization_id)
        if state.joined_from is not None:
            where.append(User.date_joined >= state.joined_from)
        if state.joined_to is not None:
            where.append(User.date_joined <= state.joined_to)
        if state.login_from is not None:
            where.append(User.last_login >= state.login_from)
        if state.login_to is not None:
            where.append(User.last_login <= state.login_to)
    elif state.view == "plugins":
        if pattern:
            where.append(Plugin.title.ilike(pattern, escape="\\"))
        if state.data_source:
            if "\x00" in state.data_source:
                raise KnownError(
                    "A data source cannot contain a NUL character (\\0).", field="data_source"
                )
            where.append(Plugin.data_source == state.data_source)
        if state.organization_id is not None:
            where.append(Plugin.organization_id == state.organization_id)
    elif state.view == "organizations":
        if pattern:
            where.append(Organization.name.ilike(pattern, escape="\\"))
        if state.organization_id is not None:
            where.append(Organization.id == state.organization_id)
    else:
        raise KnownError(f"Unknown view {state.view!r}.")
    return where


def filtered(state: ViewState, statement: Select[Any] | None = None) -> Select[Any]:
    """The view's rows (all its columns) with the state's search and filters applied."""
    base = statement if statement is not None else STATEMENTS[state.view]()
    where = conditions(state)
    return base.where(*where) if where else base


def _order(sort: Sort, id_column: Any, descending: bool) -> list[Any]:
    # Ascending puts NULLs last, descending puts them first: each order is the exact
    # reverse of the other, so reading "before a key" is reading "after it" reversed.
    if descending:
        return [sort.expr.desc().nulls_first(), id_column.desc()]
    return [sort.expr.asc().nulls_last(), id_column.asc()]


def _beyond(
    sort: Sort, id_column: Any, key: SortKey, descending: bool, inclusive: bool
) -> ColumnElement[bool]:
    """Rows strictly after (or from, if `inclusive`) `key` in the given order."""
    value, row_id = key
    if value is None:
        id_cond = (
            (id_column <= row_id if inclusive else id_column < row_id)
            if descending
            else (id_column >= row_id if inclusive else id_column > row_id)
        )
        null_part = and_(sort.expr.is_(None), id_cond)
        return or_(null_part, sort.expr.is_not(None)) if descending else null_part
    pair, bound = (
        tuple_(sort.expr, id_column),
        tuple_(literal(value, sort.expr.type), literal(row_id)),
    )
    if descending:
        cond = pair <= bound if inclusive else pair < bound
        return cond
    cond = pair >= bound if inclusive else pair > bound
    return or_(cond, sort.expr.is_(None)) if sort.nullable else cond


def _keyset(
    statement: Select[Any],
    state: ViewState,
    key: SortKey | None,
    backwards: bool,
    inclusive: bool,
    until: SortKey | None = None,
) -> Select[Any]:
    """`statement` limited to the rows after `key` (and up to `until`), in the view's order
    (reversed when reading `backwards`)."""
    sort = sort_of(state)
    id_column = ID_COLUMNS[state.view]
    descending = state.descending != backwards
    if key is not None:
        statement = statement.where(_beyond(sort, id_column, key, descending, inclusive))
    if until is not None:  # the rows from `until` back to `key`: read the other way round
        statement = statement.where(_beyond(sort, id_column, until, not descending, True))
    return statement.order_by(*_order(sort, id_column, descending))


def window(
    state: ViewState,
    *,
    key: SortKey | None = None,
    backwards: bool = False,
    inclusive: bool = False,
    limit: int,
    until: SortKey | None = None,
) -> Select[Any]:
    """Up to `limit` rows after `key` (or before it when `backwards`; from the start with no
    key), and no further than `until` (that row included) when given. The sort value is
    appended as the last column. Backwards rows come in reverse."""
    statement = filtered(state).add_columns(sort_of(state).expr.label("_sort_key"))
    return _keyset(statement, state, key, backwards, inclusive, until).limit(limit)


# -- search plans ---------------------------------------------------------------------------
# A substring search is filtered on the fly while the sort index is walked (fast when the
# term is frequent) or found through the trigram indexes and sorted (fast when it is rare);
# the planner's estimate of which it is can be wrong by orders of magnitude. These let the
# caller decide from the rows themselves (services/search_window.py).

#: pg_trgm's words are runs of letters and digits; a term with no run of three has no
#: trigram, and its trigram index scan reads the whole index.
_TRIGRAM = re.compile(r"[^\W_]{3}")


def searched_term(state: ViewState) -> str:
    """The state's search term ("" when it has none)."""
    return search_term(state.search)


def has_trigram(term: str) -> bool:
    """Whether the trigram indexes can narrow a search for `term`."""
    return _TRIGRAM.search(term) is not None


#: The columns a view's search looks in (`conditions`), by view.
SEARCHED: dict[str, tuple[str, ...]] = {
    "users": ("name", "email", "firebase_id"),
    "plugins": ("title",),
    "organizations": ("name",),
}


def narrowed(statement: Select[Any], view: str, drive: dict[str, str]) -> Select[Any]:
    """`statement` over just the rows of the view's table that match one of `drive`'s
    patterns (by column; each implied by the statement's own search): those are read
    first, through the trigram indexes, and the statement's conditions then filter them
    (OFFSET 0 keeps the planner from merging the two into one index scan)."""
    table = TABLES[view]
    matches = [table.c[column].ilike(pattern, escape="\\") for column, pattern in drive.items()]
    inner = select(table).where(or_(*matches)).offset(0).subquery("narrowed")
    adapted: Select[Any] = ClauseAdapter(inner).traverse(statement)
    return adapted


def sorts_on_own_column(state: ViewState) -> bool:
    """Whether the state's sort is a column of the view's own table (an index walks it),
    not a joined table's column or a computed value."""
    column = getattr(sort_of(state).expr, "expression", None)
    return getattr(column, "table", None) is TABLES[state.view]


def scan_bound(
    state: ViewState,
    *,
    key: SortKey | None = None,
    backwards: bool = False,
    inclusive: bool = False,
    rows: int,
) -> Select[Any]:
    """The sort key (value, id) of the `rows`-th row after `key` in the view's order, the
    search left out and every other filter kept: the bound of a window that reads at most
    `rows` rows of the sort index. No row when fewer remain."""
    unsearched = conditions(replace(state, search=""))
    statement = select(sort_of(state).expr, ID_COLUMNS[state.view]).where(*unsearched)
    return _keyset(statement, state, key, backwards, inclusive).offset(rows - 1).limit(1)


def window_ids(
    state: ViewState,
    *,
    key: SortKey | None = None,
    backwards: bool = False,
    inclusive: bool = False,
    limit: int,
) -> Select[Any]:
    """The ids of `window`'s rows, read from the view's own table alone (the search and
    filters are all on its columns)."""
    statement = select(ID_COLUMNS[state.view]).where(*conditions(state))
    return _keyset(statement, state, key, backwards, inclusive).limit(limit)


def window_of(state: ViewState, ids: list[int], *, backwards: bool = False) -> Select[Any]:
    """`window`'s rows for the given ids, in the window's order."""
    statement = filtered(state).add_columns(sort_of(state).expr.label("_sort_key"))
    statement = statement.where(ID_COLUMNS[state.view].in_(ids))
    return _keyset(statement, state, None, backwards, False)


def count(state: ViewState, cap: int) -> Select[Any]:
    """count(*) of the state's rows, stopping after `cap` + 1 of them."""
    id_column = ID_COLUMNS[state.view]
    where = conditions(state)
    inner = select(id_column).where(*where) if where else select(id_column)
    return select(func.count()).select_from(inner.limit(cap + 1).subquery())


def sample_keys(state: ViewState, percent: float) -> Select[Any]:
    """Sort keys (value, id) of a random sample of the state's rows (TABLESAMPLE SYSTEM on
    the view's table: only the sampled pages are read), in view order."""
    sort = sort_of(state)
    id_column = ID_COLUMNS[state.view]
    sampled = tablesample(TABLES[state.view], func.system(percent), name="sampled")
    statement = (
        select(sort.expr, id_column)
        .select_from(STATEMENTS[state.view]().get_final_froms()[0])
        .where(*conditions(state))
        .order_by(*_order(sort, id_column, state.descending))
    )
    adapted: Select[Any] = ClauseAdapter(sampled).traverse(statement)
    return adapted


def id_range(state: ViewState) -> Select[Any]:
    id_column = ID_COLUMNS[state.view]
    where = conditions(state)
    statement = select(func.min(id_column), func.max(id_column))
    return statement.where(*where) if where else statement


def organization_summary(organization_id: int) -> Select[Any]:
    """One organization with its user counts by status, system users and plugin count."""
    by_status = [
        func.count().filter(User.status == value).label(f"status_{value}") for value in (1, 2, 3)
    ]
    users = (
        select(
            func.count().label("users"),
            *by_status,
            func.count().filter(User.is_system.is_(true())).label("system"),
        )
        .where(User.organization_id == organization_id)
        .subquery()
    )
    plugin_count = (
        select(func.count()).where(Plugin.organization_id == organization_id).scalar_subquery()
    )
    return (
        select(Organization.id, Organization.name, users, plugin_count.label("plugins"))
        .select_from(Organization)
        .join(users, true())
        .where(Organization.id == organization_id)
    )


def data_sources() -> Select[Any]:
    return select(Plugin.data_source).distinct().order_by(Plugin.data_source)


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON)` of a statement, for the planner's row estimate."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + str(compiler.process(element.statement, **kw))


def _status_label() -> Any:
    return case((User.status == 1, "active"), (User.status == 2, "inactive"), else_="deleted")


EXPORT_COLUMNS: dict[str, Any] = {
    "users": lambda: [
        User.id.label("id"),
        User.name.label("name"),
        User.email.label("email"),
        User.organization_id.label("organization_id"),
        Organization.name.label("organization"),
        _status_label().label("status"),
        User.is_system.label("is_system"),
        User.firebase_id.label("firebase_id"),
        User.date_joined.label("date_joined"),
        User.last_login.label("last_login"),
    ],
    "plugins": lambda: [
        Plugin.id.label("id"),
        Plugin.title.label("title"),
        Plugin.data_source.label("data_source"),
        Plugin.organization_id.label("organization_id"),
        Organization.name.label("organization"),
        # Never the secrets themselves: the names of the credential fields only.
        MASKED_CREDENTIALS.label("credential_keys"),
        cast(Plugin.properties, Text).label("properties"),
        Plugin.created_at.label("created_at"),
    ],
    "organizations": lambda: [
        Organization.id.label("id"),
        Organization.name.label("name"),
        _user_count().label("users"),
        _plugin_count().label("plugins"),
    ],
}


def export(state: ViewState) -> Select[Any]:
    """Every row of the view (search, filters, sort) with the columns an export writes."""
    columns = EXPORT_COLUMNS[state.view]()
    base = select(*columns)
    if state.view in ("users", "plugins"):
        table = User if state.view == "users" else Plugin
        base = base.select_from(table).join(Organization, Organization.id == table.organization_id)
    sort = sort_of(state)
    return filtered(state, base).order_by(*_order(sort, ID_COLUMNS[state.view], state.descending))
