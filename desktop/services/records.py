"""One row of each table as plain data, with the row version (xmin) the user saw."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from desktop.db.models import UserStatus

USER_COLUMNS = (
    "id, name, email, organization_id, status, is_system, firebase_id, active_token_id,"
    " date_joined, last_login"
)
PLUGIN_COLUMNS = "id, organization_id, data_source, title, credentials, properties, created_at"


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    email: str
    organization_id: int
    status: UserStatus
    is_system: bool
    firebase_id: str | None
    active_token_id: str | None
    date_joined: datetime
    last_login: datetime | None
    version: str

    def values(self) -> dict[str, Any]:
        """JSON-friendly values for the audit trail and conflict views."""
        data = asdict(self)
        data.pop("version")
        data["status"] = UserStatus(self.status).name
        for key in ("date_joined", "last_login"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class OrganizationRecord:
    id: int
    name: str
    version: str

    def values(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class PluginRecord:
    """A plugin; `credentials` holds the real values, so it never goes to logs or audit."""

    id: int
    organization_id: int
    data_source: str
    title: str
    credentials: Any
    properties: Any
    created_at: datetime
    version: str

    def values(self, *, masked: bool = True) -> dict[str, Any]:
        from desktop.services.audit import mask_secrets

        return {
            "id": self.id,
            "organization_id": self.organization_id,
            "data_source": self.data_source,
            "title": self.title,
            "credentials": mask_secrets(self.credentials) if masked else self.credentials,
            "properties": self.properties,
            "created_at": self.created_at.isoformat(),
        }

    def __repr__(self) -> str:  # keep credentials out of tracebacks and logs
        return f"PluginRecord(id={self.id}, title={self.title!r}, credentials=<hidden>)"


def load_user(connection: Connection, user_id: int, *, lock: bool = False) -> UserRecord | None:
    row = (
        connection.execute(
            text(
                f'SELECT {USER_COLUMNS}, xmin::text AS version FROM "user" WHERE id = :id'
                + (" FOR UPDATE" if lock else "")
            ),
            {"id": user_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    data = dict(row)
    data["status"] = UserStatus(data["status"])
    return UserRecord(**data)


def load_organization(
    connection: Connection, org_id: int, *, lock: bool = False
) -> OrganizationRecord | None:
    row = (
        connection.execute(
            text(
                "SELECT id, name, xmin::text AS version FROM organization WHERE id = :id"
                + (" FOR UPDATE" if lock else "")
            ),
            {"id": org_id},
        )
        .mappings()
        .first()
    )
    return None if row is None else OrganizationRecord(**row)


def load_plugin(
    connection: Connection, plugin_id: int, *, lock: bool = False
) -> PluginRecord | None:
    row = (
        connection.execute(
            text(
                f"SELECT {PLUGIN_COLUMNS}, xmin::text AS version FROM plugin WHERE id = :id"
                + (" FOR UPDATE" if lock else "")
            ),
            {"id": plugin_id},
        )
        .mappings()
        .first()
    )
    return None if row is None else PluginRecord(**row)
