"""Changing many users at once: one transaction, version-checked, audited, with progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.types import BigInteger

from desktop.core.errors import Cancelled, KnownError
from desktop.core.events import DELETE, UPDATE
from desktop.db.models import UserStatus
from desktop.services import audit, changes
from desktop.services.database import Database
from desktop.services.undo import UndoStack
from desktop.services.writes import Actor, NeedsConfirmation, transaction

CHUNK = 2_000
Progress = Callable[[int, int], None]


class BulkConflict(KnownError):
    """Some of the selected users changed or vanished since they were loaded."""

    def __init__(self, changed: list[int], missing: list[int]) -> None:
        parts = []
        if changed:
            parts.append(f"{len(changed)} changed by someone else")
        if missing:
            parts.append(f"{len(missing)} deleted")
        super().__init__(
            f"Nothing was changed: {' and '.join(parts)} since you loaded them. Reload and retry."
        )
        self.changed = changed
        self.missing = missing


@dataclass(frozen=True)
class BulkResult:
    """New row versions after the change (for undo and for updating the view)."""

    versions: dict[int, str]
    before: dict[int, dict[str, object]]
    #: Selected rows left as they were, by reason ("deleted": Deleted users a status
    #: change does not revive unless asked; "unchanged": already as asked).
    skipped: dict[str, int] = field(default_factory=dict)


def _ids_param(name: str) -> BindParameter[list[int]]:
    return bindparam(name, type_=ARRAY(BigInteger()))  # type: ignore[arg-type]


def _lock_and_check(
    connection: Connection, seen: dict[int, str], confirm_system: bool, *, deleting: bool = False
) -> dict[int, dict[str, object]]:
    rows = connection.execute(
        text(
            'SELECT id, xmin::text AS version, is_system, status, organization_id FROM "user"'
            " WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"
        ).bindparams(_ids_param("ids")),
        {"ids": list(seen)},
    ).all()
    found = {row.id: row for row in rows}
    missing = sorted(set(seen) - set(found))
    changed = sorted(i for i, row in found.items() if row.version != seen[i])
    if missing or changed:
        raise BulkConflict(changed, missing)
    system = [i for i, row in found.items() if row.is_system]
    if system and not confirm_system:
        verb = "hard-deleted" if deleting else "changed"
        raise NeedsConfirmation(
            f"{len(system)} of the selected users are system users; they are {verb} only "
            "with explicit confirmation."
        )
    return {
        i: {"status": UserStatus(row.status).name, "organization_id": row.organization_id}
        for i, row in found.items()
    }


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _run(
    db: Database,
    actor: Actor,
    seen: dict[int, str],
    statement: str,
    params: dict[str, object],
    *,
    confirm_system: bool,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
    deleting: bool = False,
    skip: Callable[[dict[str, object]], str | None] | None = None,
    columns: frozenset[str] | None = None,
) -> BulkResult:
    """Lock and check every row in `seen`, then change those `skip` gives no reason for
    (`columns`: what the statement changes, for the views; deleting: the rows go)."""
    if not seen:
        return BulkResult({}, {})
    versions: dict[int, str] = {}
    skipped: dict[str, int] = {}
    with transaction(db) as connection:
        before = _lock_and_check(connection, seen, confirm_system, deleting=deleting)
        targets = []
        for row_id in sorted(seen):
            reason = skip(before[row_id]) if skip is not None else None
            if reason is None:
                targets.append(row_id)
            else:
                skipped[reason] = skipped.get(reason, 0) + 1
        before = {row_id: before[row_id] for row_id in targets}
        done = 0
        for chunk in _chunks(targets):
            if cancelled is not None and cancelled():
                raise Cancelled("Cancelled: nothing was changed.")
            result = connection.execute(
                text(statement).bindparams(_ids_param("ids")),
                {**params, "ids": chunk, "os_user": actor.os_user, "profile": actor.profile},
            )
            written = {row[0]: row[1] for row in result}
            versions.update(written)
            changes.note(connection, "user", written, DELETE if deleting else UPDATE, columns)
            done += len(chunk)
            if progress is not None:
                progress(done, len(targets))
    return BulkResult(versions, before, skipped)


_AUDITED_UPDATE = """
    WITH old AS (
        SELECT id, status, organization_id FROM "user" WHERE id = ANY(:ids)
    ), changed AS (
        UPDATE "user" AS u SET {assignment} FROM old WHERE u.id = old.id
        RETURNING u.id, u.xmin::text AS version, u.status, u.organization_id
    ), logged AS (
        INSERT INTO tenantry_audit (os_user, profile, entity, entity_id, action, before, after)
        SELECT :os_user, :profile, 'user', old.id, :action,
               json_build_object('status', (ARRAY['ACTIVE','INACTIVE','DELETED'])[old.status],
                                 'organization_id', old.organization_id),
               json_build_object('status', (ARRAY['ACTIVE','INACTIVE','DELETED'])[changed.status],
                                 'organization_id', changed.organization_id)
        FROM old JOIN changed USING (id)
    )
    SELECT id, version FROM changed
"""


def set_status(
    db: Database,
    actor: Actor,
    seen: dict[int, str],
    status: UserStatus,
    *,
    confirm_system: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    undo: UndoStack | None = None,
    include_deleted: bool = False,
) -> BulkResult:
    """Give every user in `seen` (id -> version seen) the same status.

    Users with status Deleted keep it unless `include_deleted` (deactivating a selection
    must not revive deleted users), and users already at `status` are left alone; the
    result counts both under `skipped`.
    """

    def skip(row: dict[str, object]) -> str | None:
        if row["status"] == status.name:
            return "unchanged"
        if row["status"] == UserStatus.DELETED.name and not include_deleted:
            return "deleted"
        return None

    result = _run(
        db,
        actor,
        seen,
        _AUDITED_UPDATE.format(assignment="status = :status"),
        {"status": int(status), "action": "bulk_status"},
        confirm_system=confirm_system,
        progress=progress,
        cancelled=cancelled,
        skip=skip,
        columns=frozenset({"status"}),
    )
    _register_undo(undo, f"Undo: status of {len(result.versions):,} users ({status.label})", result)
    return result


def _register_undo(undo: UndoStack | None, description: str, result: BulkResult) -> None:
    if undo is not None and result.versions:
        undo.push(description, lambda db, actor: restore(db, actor, result))


def move(
    db: Database,
    actor: Actor,
    seen: dict[int, str],
    organization_id: int,
    *,
    confirm_system: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    undo: UndoStack | None = None,
) -> BulkResult:
    with db.engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM organization WHERE id = :id"), {"id": organization_id}
        ).first()
    if exists is None:
        raise KnownError(f"Organization #{organization_id} does not exist.")
    result = _run(
        db,
        actor,
        seen,
        _AUDITED_UPDATE.format(assignment="organization_id = :org"),
        {"org": organization_id, "action": "bulk_move"},
        confirm_system=confirm_system,
        progress=progress,
        cancelled=cancelled,
        columns=frozenset({"organization_id"}),
    )
    _register_undo(undo, f"Undo: move of {len(result.versions):,} users", result)
    return result


def hard_delete(
    db: Database,
    actor: Actor,
    seen: dict[int, str],
    *,
    allow_system: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    undo: UndoStack | None = None,
) -> BulkResult:
    statement = f"""
        WITH gone AS (
            DELETE FROM "user" WHERE id = ANY(:ids) RETURNING *
        ), logged AS (
            INSERT INTO tenantry_audit (os_user, profile, entity, entity_id, action, before)
            SELECT :os_user, :profile, 'user', gone.id, 'bulk_hard_delete',
                   {audit.user_row_json("gone")} FROM gone
        )
        SELECT id, '' FROM gone
    """
    result = _run(
        db,
        actor,
        seen,
        statement,
        {},
        confirm_system=allow_system,
        progress=progress,
        cancelled=cancelled,
        deleting=True,
    )
    if undo is not None and result.versions:
        undo.mark_irreversible(f"Permanent delete of {len(result.versions):,} users")
    return result


def restore(db: Database, actor: Actor, result: BulkResult) -> BulkResult:
    """Put every row of an earlier bulk change back, if none changed since (one transaction)."""
    ids = sorted(result.versions)
    statuses = [int(UserStatus[str(result.before[i]["status"])]) for i in ids]
    orgs = [int(str(result.before[i]["organization_id"])) for i in ids]
    with transaction(db) as connection:
        _lock_and_check(connection, result.versions, confirm_system=True)
        rows = connection.execute(
            text(
                """
                WITH target AS (
                    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS int[]),
                                         CAST(:orgs AS bigint[])) AS t(id, status, org)
                ), old AS (
                    SELECT u.id, u.status, u.organization_id FROM "user" u JOIN target USING (id)
                ), changed AS (
                    UPDATE "user" AS u SET status = target.status, organization_id = target.org
                    FROM target WHERE u.id = target.id
                    RETURNING u.id, u.xmin::text AS version, u.status, u.organization_id
                ), logged AS (
                    INSERT INTO tenantry_audit
                        (os_user, profile, entity, entity_id, action, before, after)
                    SELECT :os_user, :profile, 'user', old.id, 'undo',
                        json_build_object(
                            'status', (ARRAY['ACTIVE','INACTIVE','DELETED'])[old.status],
                            'organization_id', old.organization_id),
                        json_build_object(
                            'status', (ARRAY['ACTIVE','INACTIVE','DELETED'])[changed.status],
                            'organization_id', changed.organization_id)
                    FROM old JOIN changed USING (id)
                )
                SELECT id, version FROM changed
                """
            ),
            {
                "ids": ids,
                "statuses": statuses,
                "orgs": orgs,
                "os_user": actor.os_user,
                "profile": actor.profile,
            },
        )
        versions = {row[0]: row[1] for row in rows}
        changes.note(connection, "user", versions, UPDATE, {"status", "organization_id"})
    return BulkResult(versions, {})


@dataclass(frozen=True)
class Selection:
    """The selected users as they are now: versions to guard the change, and a summary."""

    versions: dict[int, str]
    by_status: dict[str, int]
    system_users: int
    missing: int
    #: id -> status name, as loaded.
    statuses: dict[int, str] = field(default_factory=dict)

    def status_change(self, status: UserStatus, include_deleted: bool) -> StatusChange:
        """What setting `status` would do to these users (the service applies the same rule)."""
        change = StatusChange()
        for name in self.statuses.values():
            if name == status.name:
                change.unchanged += 1
            elif name == UserStatus.DELETED.name and not include_deleted:
                change.deleted_kept += 1
            else:
                change.by_old_status[name] = change.by_old_status.get(name, 0) + 1
        return change


@dataclass
class StatusChange:
    """A bulk status change in numbers, for the preview and the production question."""

    by_old_status: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    deleted_kept: int = 0

    @property
    def changing(self) -> int:
        return sum(self.by_old_status.values())

    def describe(self, status: UserStatus) -> str:
        parts = [
            f"{n:,} {UserStatus[old].label} → {status.label}"
            for old, n in sorted(self.by_old_status.items())
        ]
        text = f"Set the status of {self.changing:,} users to {status.label}"
        text += f" ({', '.join(parts)})." if parts else "."
        if self.unchanged:
            text += f" {self.unchanged:,} already {status.label} are left as they are."
        if self.deleted_kept:
            text += f" {self.deleted_kept:,} Deleted users are skipped (they stay Deleted)."
        return text


def snapshot(db: Database, ids: list[int]) -> Selection:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                'SELECT id, xmin::text AS version, status, is_system FROM "user"'
                " WHERE id = ANY(:ids)"
            ).bindparams(_ids_param("ids")),
            {"ids": ids},
        ).all()
    by_status: dict[str, int] = {}
    for row in rows:
        name = UserStatus(row.status).name
        by_status[name] = by_status.get(name, 0) + 1
    return Selection(
        versions={row.id: row.version for row in rows},
        by_status=by_status,
        system_users=sum(1 for row in rows if row.is_system),
        missing=len(set(ids)) - len(rows),
        statuses={row.id: UserStatus(row.status).name for row in rows},
    )
