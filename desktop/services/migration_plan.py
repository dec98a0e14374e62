"""Planning a migration: what an action will do and its exact SQL, before anything runs."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from desktop.db import migrate
from desktop.services.database import Database
from desktop.services.migrations import (
    BASE,
    Action,
    MigrationRefused,
    MigrationStatus,
    NothingToDo,
    Plan,
    Step,
    check_allowed,
    describe,
    parents_of,
    status,
)

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
        return target, f"Upgrade to {describe(directory, [target])}"
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
            parents = parents_of(directory.get_revision(now.current[0]))
            destination = parents[0] if len(parents) == 1 else ("-1" if parents else BASE)
            what = "base (nothing applied)" if destination == BASE else destination
            return destination, f"Downgrade one step: {now.current[0]} → {what}"
        if target == BASE:
            return BASE, "Downgrade to base (remove every revision)"
        return target, f"Downgrade to {describe(directory, [target])}"
    if target is None:
        raise MigrationRefused("Choose the revision to stamp.")
    if target == BASE:
        return BASE, "Stamp base (mark the database as having no revision)"
    return target, f"Stamp {describe(directory, [target])}"


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
    check_allowed(database)
    now = status(database, scripts=scripts)
    directory = migrate.script_directory(scripts)
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
            Step(destination, describe(directory, [destination]), "stamp", now.current, sql, ())
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
