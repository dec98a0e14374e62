"""Small look-ups for forms: organizations by name, one record for editing."""

from __future__ import annotations

from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.core.view_state import like_pattern
from desktop.services.database import Database
from desktop.services.records import (
    OrganizationRecord,
    UserRecord,
    load_organization,
    load_user,
)


def organizations_named(db: Database, term: str, limit: int = 25) -> list[tuple[int, str]]:
    """(id, name) of organizations whose name contains `term` (or whose id is `term`)."""
    term = term.replace("\x00", "").strip()[:200]
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, name FROM organization"
                " WHERE name ILIKE :pattern ESCAPE '\\' OR CAST(id AS text) = :term"
                " ORDER BY (CAST(id AS text) = :term) DESC, lower(name), id LIMIT :limit"
            ),
            {"pattern": like_pattern(term), "term": term, "limit": limit},
        ).all()
    return [(int(row.id), str(row.name)) for row in rows]


def user(db: Database, user_id: int) -> tuple[UserRecord, str]:
    """The user and its organization's name."""
    with db.engine.connect() as connection:
        record = load_user(connection, user_id)
        if record is None:
            raise KnownError(f"User #{user_id} no longer exists.")
        org = load_organization(connection, record.organization_id)
    return record, org.name if org else f"#{record.organization_id}"


def organization(db: Database, org_id: int) -> OrganizationRecord:
    with db.engine.connect() as connection:
        record = load_organization(connection, org_id)
    if record is None:
        raise KnownError(f"Organization #{org_id} no longer exists.")
    return record
