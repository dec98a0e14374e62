"""Saving the grids' staged inline edits: one transaction, every row checked as the user saw it.

The conflict check compares the row version (xmin) the grid loaded the row with against
the locked row in the database, so a change to any column, shown in the grid or not, is a
conflict; a staged row without a version (built by hand) falls back to comparing the
row's own columns as the grid showed them. Validation, uniqueness, the conflict check, the
updates and their audit rows all happen in one transaction: any problem or conflict
leaves the database as it was, and says which row and field it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from desktop.core.errors import KnownError
from desktop.core.staging import SEEN, Key, StagedRow
from desktop.core.validation import ValidationError
from desktop.db.models import UserStatus
from desktop.services import audit, organizations, plugins, users
from desktop.services.database import Database
from desktop.services.records import load_organization, load_plugin, load_user
from desktop.services.undo import UndoStack
from desktop.services.writes import Actor, NeedsConfirmation, transaction

_TABLES = {"users": '"user"', "organizations": "organization", "plugins": "plugin"}


def _load(connection: Connection, view: str, row_id: int, *, lock: bool = False) -> Any:
    """The row as a UserRecord, OrganizationRecord or PluginRecord (None when deleted)."""
    if view == "users":
        return load_user(connection, row_id, lock=lock)
    if view == "organizations":
        return load_organization(connection, row_id, lock=lock)
    return load_plugin(connection, row_id, lock=lock)


@dataclass(frozen=True)
class RowConflict:
    """Someone else changed (theirs = the row now) or deleted (theirs = None) a staged row."""

    view: str
    row_id: int
    message: str
    theirs: dict[str, Any] | None


class StagedSaveFailed(KnownError):
    """Nothing was saved: some rows have problems (by field) or conflicts."""

    def __init__(
        self,
        problems: dict[Key, dict[str, str]],
        conflicts: list[RowConflict],
        labels: dict[Key, str],
    ) -> None:
        parts = [
            f"{labels[key]}: {field} — {message}"
            for key, found in problems.items()
            for field, message in found.items()
        ]
        parts += [f"{labels[(c.view, c.row_id)]}: {c.message}" for c in conflicts]
        count = len(parts)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"Nothing was saved ({count} {noun}): " + "; ".join(parts))
        self.problems = problems
        self.conflicts = conflicts


@dataclass(frozen=True)
class Saved:
    rows: int
    cells: int


def clean(row: StagedRow) -> dict[str, Any]:
    """The row's changes as the services accept them, or ValidationError (no database)."""
    if row.view == "users":
        return users.validate(row.changes)
    if row.view == "organizations":
        return {"name": organizations.clean_name(row.changes.get("name", ""))}
    return plugins.validate(row.changes)


def check_cell(view: str, column: str, value: Any) -> str | None:
    """The problem with one edited cell, found without the database (None when fine)."""
    probe = StagedRow(view, 0, {}, {column: value})
    try:
        clean(probe)
    except ValidationError as exc:
        return exc.problems.get(column) or exc.message
    except KnownError as exc:
        return exc.message
    return None


def _differs(row: StagedRow, current: Any) -> bool:
    if row.version is not None:
        return bool(row.version != current.version)
    return any(row.seen[key] != getattr(current, key) for key in SEEN[row.view] if key in row.seen)


def _email_problems(
    connection: Connection, rows: list[StagedRow], cleaned: dict[Key, dict[str, Any]]
) -> dict[Key, str]:
    found: dict[Key, str] = {}
    claimed: dict[str, int] = {}
    for row in rows:
        email = cleaned[(row.view, row.row_id)].get("email") if row.view == "users" else None
        if email is None:
            continue
        if email.lower() in claimed:
            found[(row.view, row.row_id)] = (
                f"User #{claimed[email.lower()]} is being given this email address in the same"
                " save."
            )
            continue
        claimed[email.lower()] = row.row_id
        problem = users.email_problem(connection, email, row.row_id)
        if problem is not None:
            found[(row.view, row.row_id)] = problem
    return found


def save(
    db: Database,
    actor: Actor,
    rows: list[StagedRow],
    *,
    confirm_system: bool = False,
    undo: UndoStack | None = None,
) -> Saved:
    """Write every staged row in one transaction, or nothing (StagedSaveFailed)."""
    rows = sorted(rows, key=lambda r: (r.view, r.row_id))  # one lock order for everyone
    labels = {(r.view, r.row_id): r.label() for r in rows}
    problems: dict[Key, dict[str, str]] = {}
    cleaned: dict[Key, dict[str, Any]] = {}
    for row in rows:
        try:
            cleaned[(row.view, row.row_id)] = clean(row)
        except ValidationError as exc:
            problems[(row.view, row.row_id)] = dict(exc.problems)
    if problems:
        raise StagedSaveFailed(problems, [], labels)
    befores: dict[Key, Any] = {}
    with transaction(db) as connection:
        conflicts: list[RowConflict] = []
        system: list[str] = []
        for row in rows:
            key = (row.view, row.row_id)
            current = _load(connection, row.view, row.row_id, lock=True)
            if current is None:
                message = f"This {row.entity} was deleted by someone else after you saw it."
                conflicts.append(RowConflict(row.view, row.row_id, message, None))
            elif not row.overwrite and _differs(row, current):
                message = f"This {row.entity} was changed by someone else after you saw it."
                conflicts.append(RowConflict(row.view, row.row_id, message, current.values()))
            elif row.view == "users" and current.is_system and not confirm_system:
                system.append(current.name)
            befores[key] = current
        for key, message in _email_problems(connection, rows, cleaned).items():
            problems.setdefault(key, {})["email"] = message
        if problems or conflicts:
            raise StagedSaveFailed(problems, conflicts, labels)
        if system:
            raise NeedsConfirmation(
                f"{', '.join(system)}: system user(s); confirm that you mean to change them."
            )
        afters = {}
        for row in rows:
            key = (row.view, row.row_id)
            changes = cleaned[key]
            bind = {k: int(v) if isinstance(v, UserStatus) else v for k, v in changes.items()}
            assignments = ", ".join(f"{k} = :{k}" for k in changes)
            connection.execute(
                text(f"UPDATE {_TABLES[row.view]} SET {assignments} WHERE id = :id"),
                {**bind, "id": row.row_id},
            )
            after = _load(connection, row.view, row.row_id)
            afters[key] = after
            audit.record(
                connection,
                actor,
                row.entity,
                row.row_id,
                "update",
                befores[key].values(),
                after.values(),
            )
    cells = sum(len(c) for c in cleaned.values())
    if undo is not None:
        reverse = [
            StagedRow(
                row.view,
                row.row_id,
                {k: getattr(afters[(row.view, row.row_id)], k) for k in SEEN[row.view]},
                {
                    k: getattr(befores[(row.view, row.row_id)], k)
                    for k in cleaned[(row.view, row.row_id)]
                },
                version=afters[(row.view, row.row_id)].version,
            )
            for row in rows
        ]
        noun = "change" if cells == 1 else "changes"
        undo.push(
            f"Undo {cells} inline {noun}",
            lambda db, actor: save(db, actor, reverse, confirm_system=True),
        )
    return Saved(len(rows), cells)
