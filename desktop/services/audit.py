"""The audit trail: every change recorded with who, where, when and before/after values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from desktop.db.models import AuditEntry
from desktop.services import changes
from desktop.services.database import Database
from desktop.services.writes import Actor

MASK = "••••••"


def mask_secrets(value: Any) -> Any:
    """The same JSON shape with every leaf replaced by a mask (keys stay readable)."""
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return MASK


def user_row_json(alias: str) -> str:
    """SQL for a whole "user" row (`alias`) as the audit trail records one: the shape of
    UserRecord.values(), every column with status as its name. For statements that write
    many rows and their audit rows at once (bulk deletes, CSV import)."""
    return (
        f"CAST(jsonb_set(to_jsonb({alias}), '{{status}}',"
        f" to_jsonb((ARRAY['ACTIVE','INACTIVE','DELETED'])[{alias}.status])) AS json)"
    )


def record(
    connection: Connection,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one audit row inside the caller's transaction (credentials must be masked);
    the row it concerns is noted as changed, for the views once the transaction commits."""
    kind = changes.action_of(before, after)
    if entity_id is not None and kind is not None:
        changes.note(connection, entity, [entity_id], kind, changes.changed_columns(before, after))
    connection.execute(
        insert(AuditEntry).values(
            os_user=actor.os_user,
            profile=actor.profile,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
        )
    )


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    db_user: str
    os_user: str
    profile: str
    entity: str
    entity_id: int | None
    action: str
    before: Any
    after: Any


def entries(
    db: Database,
    *,
    entity: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[AuditRow]:
    """Newest first, filtered by entity, by user (OS or database user) and by time."""
    table = AuditEntry.__table__
    statement = select(table).order_by(table.c.id.desc()).limit(limit)
    if entity:
        statement = statement.where(table.c.entity == entity)
    if user:
        statement = statement.where((table.c.os_user == user) | (table.c.db_user == user))
    if since:
        statement = statement.where(table.c.at >= since)
    if until:
        statement = statement.where(table.c.at < until)
    with db.engine.connect() as connection:
        return [AuditRow(**row._asdict()) for row in connection.execute(statement)]


def firebase_hook(actor: Actor) -> Callable[..., None]:
    """An audit hook for the Firebase actions: one entry per action, in its transaction."""

    def hook(
        connection: Connection,
        user_id: int,
        what: str,
        before: dict[str, Any],
        after: dict[str, Any] | None,
    ) -> None:
        record(connection, actor, "user", user_id, f"firebase: {what}", before, after)

    return hook
