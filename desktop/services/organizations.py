"""Organizations: create, rename, and delete with its impact shown first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from desktop.core import validation as v
from desktop.core.errors import KnownError
from desktop.services import audit
from desktop.services.database import Database
from desktop.services.records import OrganizationRecord, load_organization, load_plugin
from desktop.services.undo import UndoStack
from desktop.services.writes import (
    Actor,
    ConflictError,
    NeedsConfirmation,
    still_as_seen,
    transaction,
)


@dataclass(frozen=True)
class DeleteImpact:
    """What deleting an organization takes with it."""

    organization: OrganizationRecord
    users: int
    users_by_status: dict[str, int]
    system_users: int
    plugins: int


def clean_name(name: str) -> str:
    clean, problems = v.collect({"name": lambda: v.text_field("Name", name, limit=v.MAX_NAME)})
    if problems:
        raise v.ValidationError(problems)
    return str(clean["name"])


def create(db: Database, actor: Actor, name: str) -> OrganizationRecord:
    clean = clean_name(name)
    with transaction(db) as connection:
        new_id = connection.execute(
            text("INSERT INTO organization (name) VALUES (:name) RETURNING id"), {"name": clean}
        ).scalar_one()
        record = load_organization(connection, new_id)
        assert record is not None
        audit.record(connection, actor, "organization", new_id, "create", None, record.values())
    return record


def rename(
    db: Database,
    actor: Actor,
    org_id: int,
    seen_version: str | None,
    name: str,
    *,
    overwrite: bool = False,
    undo: UndoStack | None = None,
) -> OrganizationRecord:
    clean = clean_name(name)
    with transaction(db) as connection:
        before = still_as_seen(
            "organization",
            org_id,
            load_organization(connection, org_id, lock=True),
            seen_version,
            overwrite,
        )
        connection.execute(
            text("UPDATE organization SET name = :name WHERE id = :id"),
            {"name": clean, "id": org_id},
        )
        after = load_organization(connection, org_id)
        assert after is not None
        audit.record(
            connection, actor, "organization", org_id, "update", before.values(), after.values()
        )
    if undo is not None:
        undo.push(
            f"Undo renaming {before.name}",
            lambda db, actor: rename(db, actor, org_id, after.version, before.name),
        )
    return after


class StalePreview(KnownError):
    """The organization's users or plugins changed between the preview and the delete."""

    def __init__(self, now: DeleteImpact, shown: DeleteImpact) -> None:
        changes = [
            f"{label} {new:,} (the preview said {old:,})"
            for label, new, old in (
                ("users", now.users, shown.users),
                ("system users", now.system_users, shown.system_users),
                ("plugins", now.plugins, shown.plugins),
            )
            if new != old
        ]
        if not changes:
            changes = ["the users' statuses differ from the preview"]
        super().__init__(
            f"“{now.organization.name}” changed since the preview: now {', '.join(changes)}. "
            "Nothing was deleted; check the new figures and confirm again."
        )
        self.impact = now


def _impact(connection: Connection, organization: OrganizationRecord) -> DeleteImpact:
    org_id = organization.id
    by_status: dict[int, int] = dict(
        connection.execute(  # type: ignore[arg-type]
            text('SELECT status, count(*) FROM "user" WHERE organization_id = :id GROUP BY status'),
            {"id": org_id},
        ).all()
    )
    system = connection.execute(
        text('SELECT count(*) FROM "user" WHERE organization_id = :id AND is_system'),
        {"id": org_id},
    ).scalar_one()
    plugins = connection.execute(
        text("SELECT count(*) FROM plugin WHERE organization_id = :id"), {"id": org_id}
    ).scalar_one()
    names = {1: "ACTIVE", 2: "INACTIVE", 3: "DELETED"}
    return DeleteImpact(
        organization=organization,
        users=sum(by_status.values()),
        users_by_status={names[k]: int(n) for k, n in sorted(by_status.items())},
        system_users=int(system),
        plugins=int(plugins),
    )


def _same_figures(a: DeleteImpact, b: DeleteImpact) -> bool:
    return (a.users, a.users_by_status, a.system_users, a.plugins) == (
        b.users,
        b.users_by_status,
        b.system_users,
        b.plugins,
    )


def delete_impact(db: Database, org_id: int) -> DeleteImpact:
    with db.engine.connect() as connection:
        organization = load_organization(connection, org_id)
        if organization is None:
            raise ConflictError("organization", org_id, None)
        return _impact(connection, organization)


def delete(
    db: Database,
    actor: Actor,
    org_id: int,
    seen_version: str | None,
    *,
    typed_name: str | None = None,
    preview: DeleteImpact | None = None,
    undo: UndoStack | None = None,
) -> DeleteImpact:
    """Delete the organization, its plugins (explicitly) and its users (by the cascade).

    On a production profile the caller must pass the organization's name as typed by the
    user. `preview` is what the user was shown: if the organization's users or plugins
    differ from it now, nothing is deleted (StalePreview carries the new figures). The
    organization's row lock keeps users and plugins from being added until the commit.
    Everything happens in one transaction.
    """
    if db.environment == "production" and typed_name is None:
        raise NeedsConfirmation(
            "This is a production database: type the organization's name to delete it."
        )
    with transaction(db) as connection:
        before = still_as_seen(
            "organization",
            org_id,
            load_organization(connection, org_id, lock=True),
            seen_version,
            False,
        )
        impact = _impact(connection, before)
        if db.environment == "production" and typed_name != before.name:
            raise NeedsConfirmation(
                "This is a production database: type the organization's name to delete it."
            )
        if preview is not None and not _same_figures(impact, preview):
            raise StalePreview(impact, preview)
        plugin_ids = (
            connection.execute(
                text("SELECT id FROM plugin WHERE organization_id = :id ORDER BY id FOR UPDATE"),
                {"id": org_id},
            )
            .scalars()
            .all()
        )
        for plugin_id in plugin_ids:
            plugin = load_plugin(connection, plugin_id)
            assert plugin is not None
            connection.execute(text("DELETE FROM plugin WHERE id = :id"), {"id": plugin_id})
            audit.record(connection, actor, "plugin", plugin_id, "delete", plugin.values(), None)
        removed_users = connection.execute(
            text('SELECT count(*) FROM "user" WHERE organization_id = :id'), {"id": org_id}
        ).scalar_one()
        connection.execute(text("DELETE FROM organization WHERE id = :id"), {"id": org_id})
        audit.record(
            connection,
            actor,
            "organization",
            org_id,
            "delete",
            {
                **before.values(),
                "users_removed": int(removed_users),
                "plugins_removed": len(plugin_ids),
            },
            None,
        )
    if undo is not None:
        undo.mark_irreversible(f"Delete organization {before.name}")
    return impact
