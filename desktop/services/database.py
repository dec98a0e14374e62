"""An open database: its engine, what it is, and how to describe it to people."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from desktop.core import memory
from desktop.core.errors import ConnectionFailed, KnownError
from desktop.core.events import Hub
from desktop.core.profiles import Profile
from desktop.db import errors
from desktop.db.engine import make_engine
from desktop.services import changes
from desktop.services.browse import warm_statement_cache

if TYPE_CHECKING:
    from desktop.core.view_state import ViewState
    from desktop.db.queries import SortKey
    from desktop.services.browse import OrganizationSummary, Quantiles
    from desktop.services.columns import Total
    from desktop.services.export import ExportResult
    from desktop.services.quick_find import Hit
    from desktop.services.refresh import Refreshed
    from desktop.services.windows import Loaded, Opened


@dataclass(frozen=True)
class ServerInfo:
    version: str
    user: str
    database: str
    read_only: bool
    #: The three core tables exist (False: a new database, before its migrations).
    has_schema: bool = True


@dataclass
class Database:
    """A connected database as the rest of the app sees it.

    `profile` is the connection profile it was opened with (None for the demo and for
    plain URLs); `health` says whether the server was found gone since the last success;
    `hub` tells subscribers which rows each committed write changed.
    """

    engine: Engine
    label: str
    environment: str
    info: ServerInfo
    profile: Profile | None = None
    health: errors.ConnectionHealth = field(default_factory=errors.ConnectionHealth)
    #: Where the rows each committed write changed are published (`RowsChanged`).
    hub: Hub = field(default_factory=Hub)

    def __post_init__(self) -> None:
        changes.attach(self.engine, self.hub)

    @property
    def read_only(self) -> bool:
        """Writes must be disabled: the profile says so, or the session is read-only."""
        return self.info.read_only or (self.profile is not None and self.profile.read_only)

    @property
    def requires_write_confirmation(self) -> bool:
        """Production: every write asks the user first, showing what will change."""
        return self.environment == "production"

    @property
    def connection_lost(self) -> str | None:
        """A message when the last use found the server gone; None when all is well."""
        return self.health.lost

    def dispose(self) -> None:
        self.engine.dispose()

    # -- what the window reads: the UI calls these (on a worker), never the engine -------
    # Writes are the service functions that take the Database (services/users.py, bulk.py,
    # ...): each goes through services/writes.transaction, the one write path.

    def server_info(self) -> ServerInfo:
        return server_info(self.engine)

    def has_schema(self) -> bool:
        return has_schema(self.engine)

    def open_view(self, state: ViewState, *, estimate: bool = True) -> Opened:
        from desktop.services import windows

        return windows.open_view(self.engine, state, estimate=estimate)

    def load_blocks(
        self,
        state: ViewState,
        wanted: list[int],
        anchors: dict[int, tuple[SortKey | None, SortKey | None]],
        total: int,
        known_quantiles: Quantiles | None = None,
        from_end: frozenset[int] = frozenset(),
    ) -> Loaded:
        from desktop.services import windows

        return windows.load_blocks(
            self.engine, state, wanted, anchors, total, known_quantiles, from_end
        )

    def estimated_total(self, state: ViewState) -> Total:
        from desktop.services import browse

        return browse.estimated_total(self.engine, state)

    def count_total(self, state: ViewState) -> Total:
        from desktop.services import browse

        return browse.count_total(self.engine, state)

    def refreshed_rows(self, state: ViewState, ids: Iterable[int]) -> Refreshed:
        from desktop.services import refresh

        return refresh.rows(self.engine, state, ids)

    def organization_summary(self, organization_id: int) -> OrganizationSummary:
        from desktop.services import browse

        return browse.organization_summary(self.engine, organization_id)

    def data_sources(self) -> list[str]:
        from desktop.services import browse

        return browse.data_sources(self.engine)

    def quick_find(self, text: str) -> list[Hit]:
        from desktop.services import quick_find

        return quick_find.find(self.engine, text)

    def export_view(
        self,
        state: ViewState,
        path: Path,
        fmt: str,
        progress: Callable[[int], None] | None = None,
        *,
        formulas: str = "neutralise",
    ) -> ExportResult:
        from desktop.services import export

        return export.export_view(self.engine, state, path, fmt, progress, formulas=formulas)


_HAS_SCHEMA = (
    "to_regclass('public.organization') IS NOT NULL"
    " AND to_regclass('public.\"user\"') IS NOT NULL AND to_regclass('public.plugin') IS NOT NULL"
)


def server_info(engine: Engine) -> ServerInfo:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT current_setting('server_version'), current_user, current_database(),"
                f" current_setting('transaction_read_only') = 'on', {_HAS_SCHEMA}"
            )
        ).one()
    return ServerInfo(
        version=row[0], user=row[1], database=row[2], read_only=bool(row[3]), has_schema=row[4]
    )


def has_schema(engine: Engine) -> bool:
    """Whether the core tables exist now (after a migration run, say)."""
    with engine.connect() as connection:
        return bool(connection.execute(text(f"SELECT {_HAS_SCHEMA}")).scalar_one())


def session_read_only(connection: Connection) -> bool:
    """The session half of `Database.read_only`, for code that holds only an engine: the
    same test as `server_info` (a read-only profile's sessions, a hot standby)."""
    value = connection.execute(text("SELECT current_setting('transaction_read_only')"))
    return bool(value.scalar_one() == "on")


def open_database(url: str, *, label: str, environment: str, read_only: bool = False) -> Database:
    """Connect (blocking; call from a worker) and describe the server."""
    engine = make_engine(url, read_only=read_only)
    parsed = make_url(url)
    target = errors.Target(
        host=parsed.host or "localhost",
        port=parsed.port or 5432,
        database=parsed.database or "",
        user=parsed.username or "",
    )
    health = errors.ConnectionHealth()
    errors.install(engine, target, health)
    try:
        info = server_info(engine)
    except KnownError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise ConnectionFailed(f"Could not connect to {label}: {exc.orig}") from exc
    warm_statement_cache(engine)
    memory.freeze_long_lived()  # the app is loaded and connected: see desktop/core/memory.py
    return Database(engine=engine, label=label, environment=environment, info=info, health=health)
