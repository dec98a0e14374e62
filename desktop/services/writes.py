"""What every write shares: who is writing, refusal on read-only, conflicts, error mapping."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from psycopg2 import errors as pg_errors
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from desktop.core.errors import KnownError
from desktop.core.validation import ValidationError
from desktop.db.errors import ReadOnlyViolation
from desktop.services.connect import ensure_writable
from desktop.services.database import Database

# Constraint names (see desktop/db/models.py NAMING_CONVENTION) -> the form field they concern.
CONSTRAINT_FIELDS = {
    "uq_user_email": ("email", "Another user already has this email address."),
    "ck_user_email_not_empty": ("email", "Email is required."),
    "ck_user_name_not_empty": ("name", "Name is required."),
    "ck_user_status_valid": ("status", "Status must be Active, Inactive or Deleted."),
    "fk_user_organization_id_organization": (
        "organization_id",
        "The organization does not exist (it may have just been deleted).",
    ),
    "fk_plugin_organization_id_organization": (
        "organization_id",
        "The organization does not exist, or it still has plugins.",
    ),
}


@dataclass(frozen=True)
class Actor:
    """Who makes a change: recorded in the audit trail with the database user."""

    profile: str
    os_user: str = field(default_factory=getpass.getuser)


def actor_for(db: Database) -> Actor:
    """The person at this workstation, acting through `db`'s profile (or its label)."""
    return Actor(profile=db.profile.name if db.profile is not None else db.label)


class NeedsConfirmation(KnownError):
    """The change is allowed only with an explicit confirmation (system users, production)."""


class ConflictError(KnownError):
    """Someone else changed or deleted the row since the user loaded it."""

    def __init__(self, entity: str, entity_id: int, theirs: dict[str, Any] | None) -> None:
        if theirs is None:
            message = f"This {entity} was deleted by someone else after you opened it."
        else:
            message = f"This {entity} was changed by someone else after you opened it."
        super().__init__(message)
        self.entity = entity
        self.entity_id = entity_id
        self.theirs = theirs


@contextmanager
def transaction(db: Database) -> Iterator[Connection]:
    """One save = one transaction; database errors come out as messages for people."""
    ensure_writable(db)
    try:
        with db.engine.begin() as connection:
            yield connection
    except IntegrityError as exc:
        raise _integrity_message(exc) from exc
    except DBAPIError as exc:
        if isinstance(exc.orig, pg_errors.ReadOnlySqlTransaction):
            raise ReadOnlyViolation(
                "The database refused the change: this session is read-only."
            ) from exc
        raise


def _integrity_message(exc: IntegrityError) -> KnownError:
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    if name in CONSTRAINT_FIELDS:
        field_name, message = CONSTRAINT_FIELDS[name]
        return ValidationError({field_name: message})
    detail = getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
    return KnownError(f"The database refused the change: {detail}")


class _Versioned(Protocol):
    @property
    def version(self) -> str: ...

    def values(self) -> dict[str, Any]: ...


V = TypeVar("V", bound=_Versioned)


def still_as_seen(
    entity: str, entity_id: int, current: V | None, seen_version: str | None, overwrite: bool
) -> V:
    """The locked row, if nobody changed or deleted it since the user saw `seen_version`.

    `overwrite` skips the version check (the user chose to overwrite knowingly); a deleted
    row is always a conflict.
    """
    if current is None:
        raise ConflictError(entity, entity_id, None)
    if not overwrite and current.version != seen_version:
        raise ConflictError(entity, entity_id, current.values())
    return current
