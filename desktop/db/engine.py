"""Creating SQLAlchemy engines for a database URL, with the app's connection settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from desktop import __version__

DEFAULT_CONNECT_TIMEOUT_S = 10


def make_engine(
    url: str,
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
    connect_args: dict[str, Any] = {
        "application_name": f"{application_name} {__version__}"[:63],
        "connect_timeout": int(connect_timeout_s),
        # A server that vanishes from the network (VM paused, link dropped) is noticed in
        # about a minute instead of the OS default of hours; a cancel then ends the wait.
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
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
