"""Creating SQLAlchemy engines for a database URL, with the app's connection settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine

from desktop import __version__
from desktop.db import watchdog

DEFAULT_CONNECT_TIMEOUT_S = 10


def make_engine(
    url: str | URL,
    *,
    application_name: str = "Tenantry",
    connect_timeout_s: int = DEFAULT_CONNECT_TIMEOUT_S,
    statement_timeout_ms: int | None = None,
    read_only: bool = False,
    idle_in_transaction_timeout_ms: int | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine whose sessions carry our name, timeouts and, optionally, read-only mode.

    Read-only is enforced by PostgreSQL itself: `default_transaction_read_only` is set for
    the session at connect time, so any write fails in the server.

    Connection settings from people (profile fields) must come as a `URL` object or in
    `connect_args`, never spliced into a URL string: SQLAlchemy passes both to psycopg2 as
    separate keyword arguments, which psycopg2 quotes, so no value can set another one.
    """
    options = []
    if statement_timeout_ms is not None:
        options.append(f"-c statement_timeout={int(statement_timeout_ms)}")
    if read_only:
        options.append("-c default_transaction_read_only=on")
    if idle_in_transaction_timeout_ms is not None:
        # The server rolls back a transaction left open and idle this long (production).
        options.append(
            f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_timeout_ms)}"
        )
    timeout = max(1, int(connect_timeout_s))
    idle = max(5, timeout)
    interval = max(2, timeout // 3)
    connect_args: dict[str, Any] = {
        "application_name": f"{application_name} {__version__}"[:63],
        "connect_timeout": timeout,
        # A server that vanishes from the network (link dropped, host gone) is noticed
        # by TCP itself: keepalives on an idle connection, and tcp_user_timeout when sent
        # data stays unacknowledged, both within about twice the connect timeout.
        "keepalives": 1,
        "keepalives_idle": idle,
        "keepalives_interval": interval,
        "keepalives_count": 3,
        "tcp_user_timeout": (idle + 3 * interval) * 1000,
        # A server that is frozen (SIGSTOP, paused VM) keeps its TCP alive: the watchdog
        # gives up on a call it does not answer within the connect timeout.
        "connection_factory": watchdog.GuardedConnection,
    }
    if options:
        connect_args["options"] = " ".join(options)
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=kwargs.pop("pool_size", 3),
        max_overflow=kwargs.pop("max_overflow", 2),
        **kwargs,
    )
