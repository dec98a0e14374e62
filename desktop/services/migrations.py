"""Where a database stands in the product's migrations (Alembic), and the types of its actions.

Previews live in `migration_plan`, runs in `migration_run`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect

from desktop.core.errors import KnownError
from desktop.db import migrate
from desktop.db.models import Base
from desktop.services.database import Database

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


def _created(script: Script) -> str:
    doc = script.module.__doc__ or ""
    match = re.search(r"^Create Date:\s*(.+?)\s*$", doc, re.MULTILINE)
    if not match:
        return ""
    return match.group(1).split(".")[0]


def parents_of(script: Script) -> tuple[str, ...]:
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


def describe(directory: ScriptDirectory, revisions: Sequence[str]) -> str:
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
    directory = migrate.script_directory(scripts)
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
            parents=parents_of(script),
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
            f"The migration scripts have {len(heads)} heads ({describe(directory, heads)}): "
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
        summary = f"Up to date: at head {describe(directory, current)}"
    else:
        summary = f"At {describe(directory, current)}; {len(pending)} pending"
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


def check_allowed(database: Database) -> None:
    refusal = _refusal(database)
    if refusal:
        raise MigrationRefused(refusal)
