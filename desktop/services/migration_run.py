"""Running a planned migration in one transaction, with live log lines and progress."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import ConnectionFailed
from desktop.db import migrate
from desktop.db.errors import ServerStoppedAnswering
from desktop.services import audit
from desktop.services.database import Database
from desktop.services.migrations import (
    MigrationFailed,
    MigrationRefused,
    Plan,
    RunResult,
    check_allowed,
)
from desktop.services.writes import actor_for

LogSink = Callable[[str], None]
#: (steps done, steps in total, what is running now)
ProgressSink = Callable[[int, int, str], None]

#: Two Tenantry windows must not migrate the same database at once.
_ADVISORY_LOCK_KEY = 0x7E4A_417E


class _LogForwarder(logging.Handler):
    """Sends the "alembic" logger's lines from this thread only to a callback."""

    def __init__(self, sink: LogSink) -> None:
        super().__init__(logging.INFO)
        self._sink = sink
        self._thread = threading.get_ident()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        line = self.format(record)
        if line.startswith(("Context impl", "Will assume")):  # said once per context: once
            if line in self.lines:
                return
        self.say(line)

    def say(self, line: str) -> None:
        self.lines.append(line)
        self._sink(line)


def _statement_echo(connection: Connection, forward: _LogForwarder) -> Any:
    """Each DDL statement's text into the log as it runs (bound parameters never are)."""

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        first = " ".join(statement.split())
        bookkeeping = "alembic_version" in first and not first.startswith("UPDATE")
        if first.startswith("SELECT") or bookkeeping:
            return
        forward.say("  SQL: " + (first if len(first) <= 160 else first[:157] + "…"))

    event.listen(connection, "before_cursor_execute", before)
    return before


def check_confirmation(database: Database, typed: str | None) -> None:
    """Production databases need their name typed, exactly, before anything runs."""
    if database.environment != "production":
        return
    if (typed or "").strip() != database.info.database:
        raise MigrationRefused(
            f"{database.label} is a production database: type its name "
            f"“{database.info.database}” to confirm.",
            field="confirmation",
        )


def run(
    database: Database,
    plan: Plan,
    *,
    confirmation: str | None = None,
    scripts: Path | None = None,
    on_log: LogSink | None = None,
    on_progress: ProgressSink | None = None,
) -> RunResult:
    """Run a previewed plan in one transaction (blocking: call from a worker).

    PostgreSQL runs DDL inside transactions, so when any revision fails nothing is kept:
    the database stays at the revision it had before. Refuses when the database moved
    since the preview.
    """
    check_allowed(database)
    check_confirmation(database, confirmation)
    sink = on_log or (lambda line: None)
    progress = on_progress or (lambda done, total, what: None)
    forward = _LogForwarder(sink)
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.addHandler(forward)
    alembic_log.setLevel(logging.INFO)
    total = len(plan.steps)
    done = [0]

    def applied(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        done[0] += 1
        label = plan.steps[done[0] - 1].label if done[0] <= total else str(step)
        progress(done[0], total, label)

    try:
        forward.say(f"{plan.title} on {plan.database}: {total} step(s), one transaction.")
        progress(0, total, plan.steps[0].label if plan.steps else "")
        with database.engine.begin() as connection:
            locked = connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
            ).scalar()
            if not locked:
                raise MigrationRefused(
                    "Another migration is running on this database right now. Try again when "
                    "it has finished."
                )
            before = migrate.current_revisions(connection)
            if set(before) != set(plan.start):
                raise MigrationRefused(
                    f"The database moved since the preview (it was at "
                    f"{', '.join(plan.start) or 'base'}, it is now at "
                    f"{', '.join(before) or 'base'}). Review the new preview before running."
                )
            listener = _statement_echo(connection, forward)
            config = migrate.alembic_config(connection, scripts=scripts)
            try:
                migrate.run_steps(
                    config,
                    plan.action.value,
                    plan.target,
                    purge=plan.purge,
                    on_version_apply=applied,
                )
            except Exception as exc:  # a revision script failed: report it, roll back
                failing = plan.steps[done[0]].label if done[0] < total else plan.title
                reason = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
                if isinstance(exc, ServerStoppedAnswering):  # frozen: say so, not "lost"
                    reason = exc.summary
                elif isinstance(exc, ConnectionFailed):  # not "what you typed is kept": say why
                    reason = (
                        "the connection to the server was lost (the server restarted or stopped, "
                        "or the session was terminated)"
                    )
                forward.say(f"FAILED in {failing}: {reason}")
                raise MigrationFailed(
                    f"{failing} failed: {reason}\nNothing was changed: every step ran in one "
                    "transaction, which was rolled back."
                ) from exc
            finally:
                event.remove(connection, "before_cursor_execute", listener)
            after = migrate.current_revisions(connection)
            _audit(connection, database, plan, before, after)
        forward.say(f"Committed. The database is now at {', '.join(after) or 'base'}.")
    except MigrationFailed:
        forward.say(_rolled_back(database, plan))
        raise
    except ConnectionFailed as exc:  # lost outside a step (taking the lock, committing)
        forward.say(f"FAILED: {exc.message}")
        raise MigrationFailed(
            f"The connection was lost during “{plan.title}”: {exc.message}\nPostgreSQL "
            "keeps all of a transaction or none of it: press Refresh to see which revision "
            "the database is at."
        ) from exc
    finally:
        alembic_log.removeHandler(forward)
        alembic_log.setLevel(level)
    summary = (
        f"{plan.title}: {done[0]} step(s) applied; "
        f"{', '.join(before) or 'base'} → {', '.join(after) or 'base'}."
    )
    return RunResult(
        plan=plan,
        before=before,
        after=after,
        steps_done=done[0],
        log=tuple(forward.lines),
        summary=summary,
    )


def _rolled_back(database: Database, plan: Plan) -> str:
    """The log line after a rollback: where the database stands, read again if possible.

    The server may be gone (a restart is what failed the run): then the revision cannot be
    read, but the rollback means it is still the one the run started from.
    """
    try:
        with database.engine.connect() as connection:
            still = migrate.current_revisions(connection)
    except ConnectionFailed as exc:
        start = ", ".join(plan.start) or "base"
        return (
            f"Rolled back. The database stays at {start}, where the run started (it cannot "
            f"be read right now: {exc.message})"
        )
    return f"Rolled back. The database is still at {', '.join(still) or 'base'}."


def _audit(
    connection: Connection,
    database: Database,
    plan: Plan,
    before: tuple[str, ...],
    after: tuple[str, ...],
) -> None:
    """Record the run in the audit trail, in its transaction, when the trail exists."""
    if connection.execute(text("SELECT to_regclass('tenantry_audit')")).scalar() is None:
        return  # e.g. a downgrade below the revision that creates the audit trail
    audit.record(
        connection,
        actor_for(database),
        "schema",
        None,
        f"migration: {plan.action.value}",
        {"revisions": list(before)},
        {"revisions": list(after), "title": plan.title},
    )
