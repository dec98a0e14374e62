"""Alembic environment: run against a shared connection, or TENANTRY_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from desktop.db.models import Base

URL_ENV = "TENANTRY_DATABASE_URL"

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get(URL_ENV, "").strip()
    if not url:
        raise SystemExit(
            f"Set {URL_ENV} to the database to migrate, "
            "e.g. postgresql+psycopg2://user@localhost:5432/tenantry"
        )
    return str(url)


def _process_revision_directives(ctx, revision, directives):  # type: ignore[no-untyped-def]
    """Do not write an empty revision when autogenerate finds nothing."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def _configure(**kwargs: object) -> None:
    # Tenantry's migrations panel follows progress step by step (desktop.db.migrate.run_steps).
    callbacks = config.attributes.get("on_version_apply")
    if callbacks:
        kwargs["on_version_apply"] = callbacks
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        transaction_per_migration=False,
        process_revision_directives=_process_revision_directives,
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    shared: Connection | None = config.attributes.get("connection")
    if shared is not None:
        _run_on(shared)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
