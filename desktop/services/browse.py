"""The browse views as plain data: their columns, totals, keyset windows and jump points."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from desktop.core import cancel
from desktop.core.errors import Cancelled, KnownError
from desktop.core.view_state import ViewState
from desktop.db import cancel as db_cancel
from desktop.db import queries
from desktop.db.models import UserStatus
from desktop.db.queries import SortKey
from desktop.services import search_window, trigram_drive
from desktop.services.columns import TABLES, Total
from desktop.services.table_size import table_estimate

QUERY_CANCELED = "57014"

log = logging.getLogger(__name__)


COUNT_TIMEOUT_MS = 1_500
COUNT_CAP = 1_000_000


def estimated_total(engine: Engine, state: ViewState) -> Total:
    """An instant total: the table estimate when unfiltered, else the planner's estimate."""
    with cancellable(engine).connect() as connection:
        if not state.is_filtered:
            return Total(table_estimate(connection, state.view), "about")
        plan = connection.execute(queries.Explain(queries.filtered(state))).scalar_one()
    document = plan if isinstance(plan, list) else json.loads(plan)
    return Total(int(document[0]["Plan"]["Plan Rows"]), "about")


def count_total(
    engine: Engine, state: ViewState, timeout_ms: int = COUNT_TIMEOUT_MS, cap: int = COUNT_CAP
) -> Total:
    """The view's total: an estimate when unfiltered, else count(*) under a statement
    timeout (an estimate when it times out, "more than" past `cap`)."""
    if not state.is_filtered:
        return estimated_total(engine, state)
    try:
        with cancellable(engine).begin() as connection:
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            value = int(connection.execute(queries.count(state, cap)).scalar_one())
    except OperationalError as exc:
        token = cancel.current()
        if token is not None and token.cancelled:
            raise Cancelled("superseded") from exc
        if getattr(exc.orig, "pgcode", None) != QUERY_CANCELED:
            raise
        return estimated_total(engine, state)
    return Total(cap, "more_than") if value > cap else Total(value, "exact")


@dataclass(frozen=True)
class Window:
    """Consecutive rows of a view in its order, with the keys of the first and last."""

    rows: list[tuple[Any, ...]]
    first_key: SortKey | None
    last_key: SortKey | None
    more: bool


def fetch_window(
    engine: Engine,
    state: ViewState,
    *,
    key: SortKey | None = None,
    backwards: bool = False,
    inclusive: bool = False,
    limit: int = 200,
) -> Window:
    """Up to `limit` rows after `key` (before it when `backwards`), in view order. Keyset only."""
    with cancellable(engine).connect() as connection:
        if search_window.applies(state):
            raw = search_window.fetch(
                connection,
                state,
                key=key,
                backwards=backwards,
                inclusive=inclusive,
                limit=limit + 1,
            )
        else:
            statement = queries.window(
                state, key=key, backwards=backwards, inclusive=inclusive, limit=limit + 1
            )
            raw = [tuple(row) for row in connection.execute(statement)]
    more = len(raw) > limit
    raw = raw[:limit]
    if backwards:
        raw.reverse()
    rows = [row[:-1] for row in raw]
    keys = [(row[-1], int(row[0])) for row in raw]
    return Window(rows, keys[0] if keys else None, keys[-1] if keys else None, more)


@dataclass(frozen=True)
class Quantiles:
    """Maps a fraction of a view (0..1) to a sort key, for scrollbar jumps without OFFSET."""

    id_range: tuple[int, int] | None = None
    keys: tuple[SortKey, ...] = ()
    descending: bool = False

    def key_at(self, fraction: float) -> SortKey | None:
        fraction = min(max(fraction, 0.0), 1.0)
        if self.id_range is not None:
            low, high = self.id_range
            offset = round(fraction * (high - low))
            value = high - offset if self.descending else low + offset
            return (value, value)
        if not self.keys:
            return None
        return self.keys[min(len(self.keys) - 1, int(fraction * len(self.keys)))]


SAMPLE_ROWS = 5_000


def quantiles(engine: Engine, state: ViewState) -> Quantiles:
    """Id order: min/max id. Other orders: sort keys of a sample of pages (TABLESAMPLE)."""
    with cancellable(engine).connect() as connection:
        if state.sort == "id":
            low, high = connection.execute(queries.id_range(state)).one()
            if low is None:
                return Quantiles(keys=())
            return Quantiles(id_range=(int(low), int(high)), descending=state.descending)
        rows = table_estimate(connection, state.view)
        percent = min(100.0, 100.0 * SAMPLE_ROWS / max(rows, 1))
        keys = tuple(
            (value, int(row_id))
            for value, row_id in connection.execute(queries.sample_keys(state, percent))
        )
    return Quantiles(keys=keys, descending=state.descending)


@dataclass(frozen=True)
class OrganizationSummary:
    id: int
    name: str
    users: int
    by_status: dict[UserStatus, int]
    system_users: int
    plugins: int


def organization_summary(engine: Engine, organization_id: int) -> OrganizationSummary:
    """An organization with its user counts by status and its plugin count."""
    with cancellable(engine).connect() as connection:
        row = connection.execute(queries.organization_summary(organization_id)).first()
    if row is None:
        raise KnownError(f"Organization {organization_id} does not exist (any more).")
    return OrganizationSummary(
        id=int(row[0]),
        name=str(row[1]),
        users=int(row[2]),
        by_status={UserStatus(s): int(row[2 + s]) for s in (1, 2, 3)},
        system_users=int(row[6]),
        plugins=int(row[7]),
    )


def data_sources(engine: Engine) -> list[str]:
    """The plugin data sources present in the database, for the filter list."""
    with cancellable(engine).connect() as connection:
        return [str(v) for (v,) in connection.execute(queries.data_sources())]


def cancellable(engine: Engine) -> Engine:
    """`engine` with its statements tied to the running job's cancel token."""
    return db_cancel.install(engine)


def warm_statement_cache(engine: Engine) -> None:
    """Compile and run each view's first-page query once, for one row (at connect, in the
    worker), so opening a view finds its statement compiled, and sample the trigrams of
    the searched columns (services/trigram_drive.py). Without the schema (an empty
    database, before migrations) this does nothing."""
    for view in TABLES:
        try:
            fetch_window(engine, ViewState(view), limit=1)
        except (DBAPIError, KnownError) as exc:
            log.debug("statement cache not warmed (%s): %s", view, exc)
            return
    # The searched columns' trigram sample, so that a first rare search does not read it.
    with cancellable(engine).connect() as connection:
        for view in TABLES:
            trigram_drive.sample(connection, view, table_estimate(connection, view))
