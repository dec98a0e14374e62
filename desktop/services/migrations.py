"""Where a database stands in the product's migrations, and moving it safely (Alembic)."""

from __future__ import annotations

import enum
import io
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import KnownError
from desktop.db import migrate
from desktop.db.models import Base
from desktop.services.database import Database

LogSink = Callable[[str], None]
#: (steps done, steps in total, what is running now)
ProgressSink = Callable[[int, int, str], None]

#: Two Tenantry windows must not migrate the same database at once.
_ADVISORY_LOCK_KEY = 0x7E4A_417E

BASE = "base"


class MigrationRefused(KnownError):
    """The action is not allowed on this database (read-only, unknown revision, not confirmed)."""


class NothingToDo(KnownError):
    """The database is already where the action would take it."""


class MigrationFailed(KnownError):
    """A revision failed while running; the transaction was rolled back."""


class RevisionState(enum.Enum):
    APPLIED = "applied"
    PENDING = "pending"
    UNKNOWN = "unknown"  # the database's own revision is unknown to us: we cannot tell


class Action(enum.Enum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    STAMP = "stamp"


@dataclass(frozen=True)
class Revision:
    revision: str
    message: str
    date: str
    parents: tuple[str, ...]
    is_head: bool
    is_current: bool
    state: RevisionState


@dataclass(frozen=True)
class MigrationStatus:
    database: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    #: Newest first, as `alembic history` prints it.
    history: tuple[Revision, ...]
    unknown_current: tuple[str, ...]
    problems: tuple[str, ...]
    read_only: bool
    refusal: str | None
    summary: str

    @property
    def multiple_heads(self) -> bool:
        return len(self.heads) > 1

    @property
    def at_head(self) -> bool:
        return bool(self.heads) and set(self.current) == set(self.heads)

    @property
    def pending(self) -> tuple[Revision, ...]:
        return tuple(r for r in self.history if r.state is RevisionState.PENDING)

    @property
    def applied(self) -> tuple[Revision, ...]:
        return tuple(r for r in self.history if r.state is RevisionState.APPLIED)


@dataclass(frozen=True)
class Step:
    """One revision an action will run (or stamp), in order."""

    revision: str
    message: str
    direction: str  # "upgrade", "downgrade" or "stamp"
    source: tuple[str, ...]
    sql: str
    drops: tuple[str, ...]

    @property
    def label(self) -> str:
        other = ", ".join(self.source) or BASE
        if self.direction == "downgrade":
            arrow = f"{self.revision} → {other}"
        else:
            arrow = f"{other} → {self.revision}"
        text = f"{self.direction.capitalize()} {arrow}"
        return f"{text}: {self.message}" if self.message else text


@dataclass(frozen=True)
class Plan:
    """What an action will do, shown before anything runs."""

    action: Action
    target: str
    title: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    steps: tuple[Step, ...]
    sql: str
    warnings: tuple[str, ...]
    drops: tuple[str, ...]
    database: str
    needs_typed_name: bool
    purge: bool = False

    @property
    def drops_data(self) -> bool:
        return bool(self.drops)


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    before: tuple[str, ...]
    after: tuple[str, ...]
    steps_done: int
    log: tuple[str, ...] = field(default=())
    summary: str = ""


# -- where it stands ---------------------------------------------------------------------------


def _scripts(scripts: Path | None) -> ScriptDirectory:
    return migrate.script_directory(scripts)


def _created(script: Script) -> str:
    doc = script.module.__doc__ or ""
    match = re.search(r"^Create Date:\s*(.+?)\s*$", doc, re.MULTILINE)
    if not match:
        return ""
    return match.group(1).split(".")[0]


def _parents(script: Script) -> tuple[str, ...]:
    down = script.down_revision
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


def _applied(directory: ScriptDirectory, current: Sequence[str]) -> set[str]:
    applied: set[str] = set()
    for revision in current:
        for script in directory.iterate_revisions(revision, BASE):
            applied.add(script.revision)
    return applied


def _short(directory: ScriptDirectory, revisions: Sequence[str]) -> str:
    parts = []
    for revision in revisions:
        try:
            script = directory.get_revision(revision)
        except CommandError:
            script = None
        parts.append(f"{revision} ({script.doc})" if script is not None else revision)
    return ", ".join(parts) if parts else "none"


def _refusal(database: Database) -> str | None:
    if database.info.read_only:
        return (
            f"{database.label} is connected read-only (PostgreSQL refuses every write in this "
            "session), so migrations cannot run here. Connect with a read-write profile."
        )
    return None


def status(database: Database, *, scripts: Path | None = None) -> MigrationStatus:
    """Current revision(s), heads and the whole history, each marked applied or pending."""
    directory = _scripts(scripts)
    with database.engine.connect() as connection:
        current = migrate.current_revisions(connection)
        tables = set(inspect(connection).get_table_names())
    heads = tuple(directory.get_heads())
    known = {script.revision for script in directory.walk_revisions()}
    unknown = tuple(r for r in current if r not in known)
    applied = set() if unknown else _applied(directory, current)
    history = tuple(
        Revision(
            revision=script.revision,
            message=script.doc,
            date=_created(script),
            parents=_parents(script),
            is_head=script.revision in heads,
            is_current=script.revision in current,
            state=(
                RevisionState.UNKNOWN
                if unknown
                else RevisionState.APPLIED
                if script.revision in applied
                else RevisionState.PENDING
            ),
        )
        for script in directory.walk_revisions()
    )
    problems: list[str] = []
    if len(heads) > 1:
        problems.append(
            f"The migration scripts have {len(heads)} heads ({_short(directory, heads)}): "
            "two lines of revisions grew from the same parent and no revision merges them. "
            "“Upgrade to head” would apply every branch, in an order Alembic picks. The "
            "developers should add a merge revision (alembic merge heads); until then, "
            "prefer “Upgrade to…” one chosen revision."
        )
    if unknown:
        problems.append(
            f"This database is at revision {', '.join(unknown)}, which this version of "
            "Tenantry does not know: the database is ahead of the app's migration scripts, "
            "probably migrated by a newer release of the product. Upgrading or downgrading "
            "from here is impossible; use a Tenantry that ships the newer migrations."
        )
    model_tables = set(Base.metadata.tables)
    if not current and tables & model_tables:
        problems.append(
            "The database has no migration history (no alembic_version row) but already has "
            f"tables ({', '.join(sorted(tables & model_tables))}): it was created by hand or by "
            "another tool. Upgrading would try to create them again and fail. If the tables "
            "match a revision exactly (check drift), stamp that revision instead."
        )
    pending = [r for r in history if r.state is RevisionState.PENDING]
    if unknown:
        summary = f"At an unknown revision: {', '.join(unknown)}"
    elif not current:
        summary = f"Empty: no revision applied; {len(pending)} pending"
    elif set(current) == set(heads):
        summary = f"Up to date: at head {_short(directory, current)}"
    else:
        summary = f"At {_short(directory, current)}; {len(pending)} pending"
    return MigrationStatus(
        database=database.info.database,
        current=current,
        heads=heads,
        history=history,
        unknown_current=unknown,
        problems=tuple(problems),
        read_only=database.info.read_only,
        refusal=_refusal(database),
        summary=summary,
    )


# -- planning: the SQL before it runs ----------------------------------------------------------

_DROP_TABLE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\"?[\w.\"]+)", re.IGNORECASE)
_DROP_COLUMN = re.compile(
    r"\bALTER\s+TABLE\s+(\"?[\w.\"]+)\s+DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(\"?\w+\"?)",
    re.IGNORECASE,
)
_TRUNCATE = re.compile(r"\bTRUNCATE\s+(?:TABLE\s+)?(\"?[\w.\"]+)", re.IGNORECASE)


def data_drops(sql: str) -> tuple[str, ...]:
    """Plain words for each statement in `sql` that destroys stored data."""
    found: list[str] = []
    for match in _DROP_TABLE.finditer(sql):
        name = match.group(1).replace('"', "")
        if name != "alembic_version":
            found.append(f"drops table {name} and every row in it")
    for match in _DROP_COLUMN.finditer(sql):
        table, column = (g.replace('"', "") for g in match.groups())
        found.append(f"drops column {table}.{column} and its values")
    for match in _TRUNCATE.finditer(sql):
        found.append(f"empties table {match.group(1).replace(chr(34), '')}")
    return tuple(found)


def _resolve_target(
    directory: ScriptDirectory, action: Action, target: str | None, now: MigrationStatus
) -> tuple[str, str]:
    """(Alembic destination, title) for an action and an optional chosen revision."""
    if action is Action.UPGRADE:
        if target in (None, "heads", "head"):
            return "heads", "Upgrade to head"
        assert target is not None
        return target, f"Upgrade to {_short(directory, [target])}"
    if action is Action.DOWNGRADE:
        if target is None:  # one step
            if not now.current:
                raise NothingToDo("Nothing to downgrade: no revision is applied.")
            if len(now.current) > 1:
                raise MigrationRefused(
                    "The database is on several branches at once "
                    f"({', '.join(now.current)}): “one step” is ambiguous. "
                    "Use “Downgrade to…” and choose the revision."
                )
            parents = _parents(directory.get_revision(now.current[0]))
            destination = parents[0] if len(parents) == 1 else ("-1" if parents else BASE)
            what = "base (nothing applied)" if destination == BASE else destination
            return destination, f"Downgrade one step: {now.current[0]} → {what}"
        if target == BASE:
            return BASE, "Downgrade to base (remove every revision)"
        return target, f"Downgrade to {_short(directory, [target])}"
    if target is None:
        raise MigrationRefused("Choose the revision to stamp.")
    if target == BASE:
        return BASE, "Stamp base (mark the database as having no revision)"
    return target, f"Stamp {_short(directory, [target])}"


def _check_allowed(database: Database) -> None:
    refusal = _refusal(database)
    if refusal:
        raise MigrationRefused(refusal)


def _url_for_sql(database: Database) -> str:
    # Offline mode only needs the dialect; the password never leaves the engine.
    return database.engine.url.render_as_string(hide_password=True)


def _steps_recorder(buffer: io.StringIO, steps: list[Step]) -> Any:
    """An on_version_apply callback that cuts the offline SQL into one piece per step."""
    mark = [0]

    def record(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        sql = buffer.getvalue()[mark[0] :]
        mark[0] = len(buffer.getvalue())
        kind = "stamp" if step.is_stamp else "upgrade" if step.is_upgrade else "downgrade"
        up = step.up_revision
        steps.append(
            Step(
                revision=", ".join(step.up_revision_ids) or BASE,
                message=up.doc if up is not None else "",
                direction=kind,
                source=tuple(step.down_revision_ids),
                sql=sql.strip(),
                drops=data_drops(sql),
            )
        )

    return record


def plan(
    database: Database,
    action: Action,
    target: str | None = None,
    *,
    scripts: Path | None = None,
) -> Plan:
    """Work out what `action` will do and the exact SQL (Alembic offline mode); run nothing."""
    _check_allowed(database)
    now = status(database, scripts=scripts)
    directory = _scripts(scripts)
    purge = False
    if now.unknown_current:
        if action is not Action.STAMP:
            raise MigrationRefused(now.problems[-1] if now.problems else "Unknown revision.")
        purge = True
    try:
        destination, title = _resolve_target(directory, action, target, now)
        if destination not in (BASE, "heads", "-1"):
            destination = directory.get_revision(destination).revision
    except CommandError as exc:
        raise MigrationRefused(f"Cannot {action.value} to {target}: {exc}") from exc

    buffer = io.StringIO()
    steps: list[Step] = []
    config = migrate.alembic_config(
        url=_url_for_sql(database), scripts=scripts, output_buffer=buffer
    )
    if purge:
        sql = _purge_stamp_sql(destination, directory)
        steps.append(
            Step(destination, _short(directory, [destination]), "stamp", now.current, sql, ())
        )
    else:
        try:
            migrate.run_steps(
                config,
                action.value,
                destination,
                start=now.current,
                as_sql=True,
                on_version_apply=_steps_recorder(buffer, steps),
            )
        except CommandError as exc:
            raise MigrationRefused(f"{title}: {exc}") from exc
        sql = buffer.getvalue().strip()
    if not steps:
        raise NothingToDo(f"Nothing to do: the database is already there ({now.summary}).")

    end = _end_revisions(steps, now.current)
    drops = tuple(d for s in steps for d in s.drops) if action is not Action.STAMP else ()
    warnings = list(now.problems) if now.multiple_heads and action is Action.UPGRADE else []
    if action is Action.STAMP:
        warnings.append(
            "Stamping only rewrites the alembic_version table: no table or column is created, "
            "changed or dropped. Afterwards Alembic believes the schema is at "
            f"{destination}. If the real schema differs, later upgrades will fail or damage "
            "data. Stamp only a database whose schema you know matches (check drift first)."
        )
    if drops:
        warnings.append(
            "This downgrade destroys data: "
            + "; ".join(drops)
            + ". The data cannot be recovered except from a backup."
        )
    return Plan(
        action=action,
        target=destination,
        title=title,
        start=now.current,
        end=end,
        steps=tuple(steps),
        sql=sql,
        warnings=tuple(warnings),
        drops=drops,
        database=database.info.database,
        needs_typed_name=database.environment == "production",
        purge=purge,
    )


def _purge_stamp_sql(destination: str, directory: ScriptDirectory) -> str:
    lines = [
        "-- Alembic cannot preview from a revision it does not know; stamping replaces",
        "-- the database's version rows with the chosen revision:",
        "BEGIN;",
        "DELETE FROM alembic_version;",
    ]
    if destination != BASE:
        for revision in directory.get_heads() if destination == "heads" else [destination]:
            lines.append(f"INSERT INTO alembic_version (version_num) VALUES ('{revision}');")
    lines.append("COMMIT;")
    return "\n".join(lines)


def _end_revisions(steps: Sequence[Step], start: tuple[str, ...]) -> tuple[str, ...]:
    heads = set(start)
    for step in steps:
        ups = {r for r in step.revision.split(", ") if r and r != BASE}
        if step.direction == "downgrade":
            heads -= ups
            heads |= set(step.source)
        else:
            heads -= set(step.source)
            heads |= ups
    return tuple(sorted(heads))


# -- running ---------------------------------------------------------------------------------


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
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        first = " ".join(statement.split())
        if first.startswith("SELECT") or "alembic_version" in first and "UPDATE" not in first:
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
    _check_allowed(database)
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
                forward.say(f"FAILED in {failing}: {reason}")
                raise MigrationFailed(
                    f"{failing} failed: {reason}\nNothing was changed: every step ran in one "
                    "transaction, which was rolled back."
                ) from exc
            finally:
                event.remove(connection, "before_cursor_execute", listener)
            after = migrate.current_revisions(connection)
        forward.say(f"Committed. The database is now at {', '.join(after) or 'base'}.")
    except MigrationFailed:
        with database.engine.connect() as connection:
            still = migrate.current_revisions(connection)
        forward.say(f"Rolled back. The database is still at {', '.join(still) or 'base'}.")
        raise
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
