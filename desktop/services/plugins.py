"""Plugins: credentials stay masked everywhere unless revealed on purpose (audited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from desktop.core import validation as v
from desktop.core.errors import KnownError
from desktop.core.redaction import remember_leaves
from desktop.services import audit
from desktop.services.database import Database
from desktop.services.records import PluginRecord, load_plugin
from desktop.services.undo import UndoStack
from desktop.services.writes import Actor, ConflictError, still_as_seen, transaction

EDITABLE = ("organization_id", "data_source", "title", "credentials", "properties")


def validate(changes: dict[str, Any]) -> dict[str, Any]:
    """Clean `changes` or raise ValidationError naming every bad field."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise KnownError(f"Unknown plugin field(s): {', '.join(sorted(unknown))}")
    checks: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "title":
            checks[key] = lambda value=value: v.text_field("Title", value, limit=v.MAX_NAME)
        elif key == "data_source":
            checks[key] = lambda value=value: v.text_field("Data source", value, limit=v.MAX_NAME)
        elif key in ("credentials", "properties"):
            label = key.capitalize()
            checks[key] = lambda value=value, label=label: v.json_field(label, value)
        elif key == "organization_id":
            checks[key] = lambda value=value: _org_id(value)
    clean, problems = v.collect(checks)
    if problems:
        raise v.ValidationError(problems)
    if "credentials" in clean:
        remember_leaves(clean["credentials"])  # kept out of crash reports and logs
    return clean


def _org_id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError("Organization is required.") from None
    if number <= 0:
        raise ValueError("Organization is required.")
    if number > v.MAX_ID:
        raise ValueError(f"Organization #{number} does not exist.")
    return number


def _json_params(clean: dict[str, Any]) -> dict[str, Any]:
    import json

    return {
        key: json.dumps(value) if key in ("credentials", "properties") else value
        for key, value in clean.items()
    }


def _assignments(clean: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} = CAST(:{key} AS json)"
        if key in ("credentials", "properties")
        else f"{key} = :{key}"
        for key in clean
    )


def create(db: Database, actor: Actor, fields: dict[str, Any]) -> PluginRecord:
    clean = validate(fields)
    missing = set(EDITABLE) - set(clean)
    if missing:
        raise v.ValidationError(
            {key: f"{key.replace('_', ' ').capitalize()} is required." for key in sorted(missing)}
        )
    with transaction(db) as connection:
        new_id = connection.execute(
            text(
                "INSERT INTO plugin (organization_id, data_source, title, credentials, properties)"
                " VALUES (:organization_id, :data_source, :title, CAST(:credentials AS json),"
                " CAST(:properties AS json)) RETURNING id"
            ),
            _json_params(clean),
        ).scalar_one()
        record = load_plugin(connection, new_id)
        assert record is not None
        audit.record(connection, actor, "plugin", new_id, "create", None, record.values())
    return record


def update(
    db: Database,
    actor: Actor,
    plugin_id: int,
    seen_version: str | None,
    changes: dict[str, Any],
    *,
    overwrite: bool = False,
    undo: UndoStack | None = None,
) -> PluginRecord:
    """Leave `credentials` out of `changes` to keep them as they are."""
    clean = validate(changes)
    with transaction(db) as connection:
        before = still_as_seen(
            "plugin",
            plugin_id,
            load_plugin(connection, plugin_id, lock=True),
            seen_version,
            overwrite,
        )
        if clean:
            connection.execute(
                text(f"UPDATE plugin SET {_assignments(clean)} WHERE id = :id"),
                {**_json_params(clean), "id": plugin_id},
            )
        after = load_plugin(connection, plugin_id)
        assert after is not None
        after_values = after.values()
        if "credentials" in clean:
            after_values["credentials_changed"] = True
        audit.record(
            connection, actor, "plugin", plugin_id, "update", before.values(), after_values
        )
    if undo is not None:
        restore_fields = {key: getattr(before, key) for key in clean}
        undo.push(
            f"Undo change to plugin {before.title}",
            lambda db, actor: update(db, actor, after.id, after.version, restore_fields),
        )
    return after


def delete(
    db: Database,
    actor: Actor,
    plugin_id: int,
    seen_version: str | None,
    *,
    overwrite: bool = False,
    undo: UndoStack | None = None,
) -> PluginRecord:
    with transaction(db) as connection:
        before = still_as_seen(
            "plugin",
            plugin_id,
            load_plugin(connection, plugin_id, lock=True),
            seen_version,
            overwrite,
        )
        connection.execute(text("DELETE FROM plugin WHERE id = :id"), {"id": plugin_id})
        audit.record(connection, actor, "plugin", plugin_id, "delete", before.values(), None)
    if undo is not None:
        undo.mark_irreversible(f"Delete plugin {before.title}")
    return before


def load_masked(db: Database, plugin_id: int) -> PluginRecord:
    """The plugin with its credentials replaced by a mask of the same shape."""
    with db.engine.connect() as connection:
        record = load_plugin(connection, plugin_id)
    if record is None:
        raise ConflictError("plugin", plugin_id, None)
    return PluginRecord(
        **{**record.__dict__, "credentials": audit.mask_secrets(record.credentials)}
    )


def reveal_credentials(db: Database, actor: Actor, plugin_id: int) -> Any:
    """The real credentials, on deliberate request; the reveal itself is audited.

    Read-only profiles (support staff) cannot reveal credentials at all.
    """
    if db.read_only:
        raise KnownError("Plugin credentials cannot be revealed on a read-only profile.")
    with transaction(db) as connection:
        record = load_plugin(connection, plugin_id)
        if record is None:
            raise ConflictError("plugin", plugin_id, None)
        audit.record(connection, actor, "plugin", plugin_id, "reveal_credentials")
    remember_leaves(record.credentials)  # shown on purpose, still kept out of crash reports
    return record.credentials
