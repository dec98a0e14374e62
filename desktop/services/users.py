"""Creating, changing and deleting users: validated, conflict-checked, audited, atomic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from desktop.core import validation as v
from desktop.core.errors import KnownError
from desktop.db.models import UserStatus
from desktop.services import audit
from desktop.services.database import Database
from desktop.services.records import USER_COLUMNS, UserRecord, load_user
from desktop.services.undo import UndoStack
from desktop.services.writes import (
    Actor,
    ConflictError,
    NeedsConfirmation,
    still_as_seen,
    transaction,
)

EDITABLE = (
    "name",
    "email",
    "organization_id",
    "status",
    "is_system",
    "firebase_id",
    "active_token_id",
    "last_login",
)


@dataclass(frozen=True)
class EmailCheck:
    """What the database already holds for an email address."""

    taken_by: int | None  # a user with exactly this email
    case_variants: tuple[str, ...]  # other users' emails equal to it ignoring case


def validate(changes: dict[str, Any]) -> dict[str, Any]:
    """Clean `changes` or raise ValidationError naming every bad field."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise KnownError(f"Unknown user field(s): {', '.join(sorted(unknown))}")
    checks: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            checks[key] = lambda value=value: v.text_field("Name", value, limit=v.MAX_NAME)
        elif key == "email":
            checks[key] = lambda value=value: v.email_field(value)
        elif key == "status":
            checks[key] = lambda value=value: _status(value)
        elif key == "organization_id":
            checks[key] = lambda value=value: _positive_id("Organization", value)
        elif key == "is_system":
            checks[key] = lambda value=value: _boolean("System", value)
        elif key in ("firebase_id", "active_token_id"):
            label = "Firebase UID" if key == "firebase_id" else "Active token"
            checks[key] = lambda value=value, label=label: (
                v.text_field(label, value, required=False, limit=v.MAX_NAME) or None
            )
        elif key == "last_login":
            checks[key] = lambda value=value: _timestamp("Last login", value)
    clean, problems = v.collect(checks)
    if problems:
        raise v.ValidationError(problems)
    return clean


def _status(value: Any) -> UserStatus:
    try:
        if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
            return UserStatus[value.strip().upper()]
        return UserStatus(int(value))
    except (KeyError, ValueError, TypeError):
        raise ValueError("Status must be Active, Inactive or Deleted.") from None


def _positive_id(label: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label} is required.") from None
    if number <= 0:
        raise ValueError(f"{label} is required.")
    if number > v.MAX_ID:
        raise ValueError(f"{label} #{number} does not exist.")
    return number


def _boolean(label: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{label} must be yes or no.")


def _timestamp(label: str, value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(f"{label} needs a time zone.")
        return value
    raise ValueError(f"{label} must be a date and time.")


def check_email(db: Database, email: str, exclude_id: int | None = None) -> EmailCheck:
    """Exact and case-only duplicates of `email` among other users."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                'SELECT id, email FROM "user" WHERE lower(email) = lower(:email)'
                " AND (CAST(:exclude AS bigint) IS NULL OR id <> :exclude)"
            ),
            {"email": email.strip(), "exclude": exclude_id},
        ).all()
    exact = next((row.id for row in rows if row.email == email.strip()), None)
    return EmailCheck(exact, tuple(row.email for row in rows if row.email != email.strip()))


def email_problem(connection: Connection, email: str, exclude_id: int | None) -> str | None:
    """Why `email` cannot be given to a user (not `exclude_id`): another user has it, or
    has it in other letter case. Firebase Authentication compares emails without case,
    so two such rows would point at one sign-in identity. Existing case-only pairs in
    the data stay editable in every other field: this is checked only for a new email.

    The ILIKE (no wildcards: the address with `%`, `_` and `\\` escaped) lets PostgreSQL
    use the trigram index on email instead of reading every row for lower(email)."""
    pattern = email.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    taken = connection.execute(
        text(
            'SELECT id, email FROM "user" WHERE email ILIKE :pattern'
            " AND lower(email) = lower(:email)"
            " AND (CAST(:exclude AS bigint) IS NULL OR id <> :exclude)"
            " ORDER BY (email = :email) DESC, id LIMIT 1"
        ),
        {"pattern": pattern, "email": email, "exclude": exclude_id},
    ).first()
    if taken is None:
        return None
    if taken.email == email:
        return f"User #{taken.id} already has this email address."
    return (
        f"User #{taken.id} already has this email address in other letter case "
        f"({taken.email}); Firebase treats them as one sign-in, so it is refused."
    )


def _ensure_email_free(connection: Connection, email: str, exclude_id: int | None) -> None:
    problem = email_problem(connection, email, exclude_id)
    if problem is not None:
        raise v.ValidationError({"email": problem})


def _ensure_organization(connection: Connection, org_id: int) -> None:
    exists = connection.execute(
        text("SELECT 1 FROM organization WHERE id = :id"), {"id": org_id}
    ).first()
    if exists is None:
        raise v.ValidationError({"organization_id": f"Organization #{org_id} does not exist."})


def create(
    db: Database, actor: Actor, fields: dict[str, Any], *, undo: UndoStack | None = None
) -> UserRecord:
    clean = validate(fields)
    missing = {"name", "email", "organization_id"} - set(clean)
    if missing:
        labels = {"name": "Name", "email": "Email", "organization_id": "Organization"}
        raise v.ValidationError({key: f"{labels[key]} is required." for key in sorted(missing)})
    with transaction(db) as connection:
        _ensure_organization(connection, clean["organization_id"])
        _ensure_email_free(connection, clean["email"], None)
        columns = ", ".join(clean)
        values = ", ".join(f":{key}" for key in clean)
        new_id = connection.execute(
            text(f'INSERT INTO "user" ({columns}) VALUES ({values}) RETURNING id'),
            _bind(clean),
        ).scalar_one()
        record = load_user(connection, new_id)
        assert record is not None
        audit.record(connection, actor, "user", new_id, "create", None, record.values())
    if undo is not None:
        undo.push(
            f"Undo creating {record.name}",
            lambda db, actor: hard_delete(db, actor, record.id, record.version, allow_system=True),
        )
    return record


def update(
    db: Database,
    actor: Actor,
    user_id: int,
    seen_version: str | None,
    changes: dict[str, Any],
    *,
    overwrite: bool = False,
    confirm_system: bool = False,
    action: str = "update",
    undo: UndoStack | None = None,
) -> UserRecord:
    """Apply `changes` if the row is still at `seen_version` (or `overwrite` knowingly)."""
    clean = validate(changes)
    with transaction(db) as connection:
        current = load_user(connection, user_id, lock=True)
        before = still_as_seen("user", user_id, current, seen_version, overwrite)
        if before.is_system and not confirm_system:
            raise NeedsConfirmation(
                f"{before.name} is a system user; confirm that you mean to change it."
            )
        if "email" in clean and clean["email"] != before.email:
            _ensure_email_free(connection, clean["email"], user_id)
        if "organization_id" in clean:
            _ensure_organization(connection, clean["organization_id"])
        if clean:
            assignments = ", ".join(f"{key} = :{key}" for key in clean)
            connection.execute(
                text(f'UPDATE "user" SET {assignments} WHERE id = :id'),
                {**_bind(clean), "id": user_id},
            )
        after = load_user(connection, user_id)
        assert after is not None
        audit.record(connection, actor, "user", user_id, action, before.values(), after.values())
    if undo is not None:
        restore_fields = {key: getattr(before, key) for key in clean}
        undo.push(
            f"Undo {action.replace('_', ' ')} of {before.name}",
            lambda db, actor: _undo_update(db, actor, after, restore_fields),
        )
    return after


def _undo_update(
    db: Database, actor: Actor, after: UserRecord, restore_fields: dict[str, Any]
) -> None:
    update(db, actor, after.id, after.version, restore_fields, confirm_system=True, action="undo")


def set_status(
    db: Database,
    actor: Actor,
    user_id: int,
    seen_version: str | None,
    status: UserStatus,
    *,
    confirm_system: bool = False,
    undo: UndoStack | None = None,
) -> UserRecord:
    """Deactivate (INACTIVE), soft-delete (DELETED) or reactivate (ACTIVE)."""
    action = {
        UserStatus.ACTIVE: "activate",
        UserStatus.INACTIVE: "deactivate",
        UserStatus.DELETED: "soft_delete",
    }[status]
    return update(
        db,
        actor,
        user_id,
        seen_version,
        {"status": status},
        confirm_system=confirm_system,
        action=action,
    )


def move(
    db: Database,
    actor: Actor,
    user_id: int,
    seen_version: str | None,
    organization_id: int,
    *,
    confirm_system: bool = False,
) -> UserRecord:
    return update(
        db,
        actor,
        user_id,
        seen_version,
        {"organization_id": organization_id},
        confirm_system=confirm_system,
        action="move",
    )


def hard_delete(
    db: Database,
    actor: Actor,
    user_id: int,
    seen_version: str | None,
    *,
    overwrite: bool = False,
    allow_system: bool = False,
    undo: UndoStack | None = None,
) -> UserRecord:
    """Remove the row for good. System users only with `allow_system`."""
    with transaction(db) as connection:
        current = load_user(connection, user_id, lock=True)
        before = still_as_seen("user", user_id, current, seen_version, overwrite)
        if before.is_system and not allow_system:
            raise NeedsConfirmation(
                f"{before.name} is a system user and cannot be hard-deleted by default; "
                "soft-delete it, or allow deleting system users explicitly."
            )
        connection.execute(text('DELETE FROM "user" WHERE id = :id'), {"id": user_id})
        audit.record(connection, actor, "user", user_id, "hard_delete", before.values(), None)
    if undo is not None:
        undo.push(f"Undo deleting {before.name}", lambda db, actor: restore(db, actor, before))
    return before


def restore(db: Database, actor: Actor, record: UserRecord) -> UserRecord:
    """Re-insert a hard-deleted user with its id and values (used by undo)."""
    with transaction(db) as connection:
        if load_user(connection, record.id) is not None:
            raise ConflictError("user", record.id, None)
        values = record.values()
        values["status"] = int(UserStatus[values["status"]])
        values["date_joined"] = record.date_joined
        values["last_login"] = record.last_login
        connection.execute(
            text(
                f'INSERT INTO "user" ({USER_COLUMNS}) VALUES ('
                + ", ".join(f":{c.strip()}" for c in USER_COLUMNS.split(","))
                + ")"
            ),
            values,
        )
        after = load_user(connection, record.id)
        assert after is not None
        audit.record(connection, actor, "user", record.id, "restore", None, after.values())
    return after


def _bind(clean: dict[str, Any]) -> dict[str, Any]:
    return {key: int(value) if key == "status" else value for key, value in clean.items()}
