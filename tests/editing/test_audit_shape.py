"""One record shape for every write: who, when, entity, before and after, status by name.

Every write action of the services runs once on a fresh seeded database; then every audit
row is checked against the same rules. A whole user row (create, import, delete) has
exactly the keys of UserRecord.values(), whichever statement wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest
from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.core.events import INSERT, UPDATE, RowsChanged
from desktop.core.staging import StagedChanges
from desktop.core.user_status import UserStatus
from desktop.db import queries
from desktop.services import (
    audit,
    bulk,
    changes,
    csv_import,
    organizations,
    plugins,
    staged_save,
    users,
)
from desktop.services.columns import TABLES
from desktop.services.database import Database
from desktop.services.records import UserRecord, load_organization, load_plugin, load_user
from desktop.services.writes import Actor, ConflictError

USER_KEYS = {f.name for f in fields(UserRecord)} - {"version"}
STATUS_NAMES = {s.name for s in UserStatus}


def _user_ids(db: Database, count: int, offset: int = 0) -> list[int]:
    with db.engine.connect() as c:
        return list(
            c.execute(
                text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id OFFSET :o LIMIT :n'),
                {"o": offset, "n": count},
            ).scalars()
        )


def _user(db: Database, user_id: int) -> UserRecord:
    with db.engine.connect() as c:
        record = load_user(c, user_id)
    assert record is not None
    return record


def _create_user(db: Database, actor: Actor) -> None:
    users.create(db, actor, {"name": "Shape", "email": "shape@example.org", "organization_id": 1})


def _update_user(db: Database, actor: Actor) -> None:
    user = _user(db, _user_ids(db, 1)[0])
    users.update(db, actor, user.id, user.version, {"name": "Shaped"})


def _set_status(db: Database, actor: Actor) -> None:
    user = _user(db, _user_ids(db, 1, 1)[0])
    target = UserStatus.INACTIVE if user.status != UserStatus.INACTIVE else UserStatus.ACTIVE
    users.set_status(db, actor, user.id, user.version, target)


def _hard_delete_user(db: Database, actor: Actor) -> None:
    user = _user(db, _user_ids(db, 1, 2)[0])
    users.hard_delete(db, actor, user.id, user.version)


def _bulk_status(db: Database, actor: Actor) -> None:
    seen = bulk.snapshot(db, _user_ids(db, 5, 3)).versions
    bulk.set_status(db, actor, seen, UserStatus.DELETED)


def _bulk_move(db: Database, actor: Actor) -> None:
    bulk.move(db, actor, bulk.snapshot(db, _user_ids(db, 5, 8)).versions, 2)


def _bulk_delete(db: Database, actor: Actor) -> None:
    bulk.hard_delete(db, actor, bulk.snapshot(db, _user_ids(db, 5, 13)).versions)


def _csv_import(db: Database, actor: Actor) -> None:
    plan = csv_import.plan(db, 1, "name,email,status\nIn Port,in.port@example.org,Inactive\n")
    assert csv_import.apply(db, actor, plan) == 1


def _staged(db: Database, actor: Actor) -> None:
    store = StagedChanges()
    user_id = _user_ids(db, 1, 20)[0]
    with db.engine.connect() as c:  # the row exactly as the grid's own query shows it
        values = c.execute(queries.users().where(queries.ID_COLUMNS["users"] == user_id)).one()
    seen = {column.key: values[i] for i, column in enumerate(TABLES["users"].columns)}
    store.stage("users", user_id, seen, "name", "Inline Shape")
    row = store.get("users", user_id)
    assert row is not None
    staged_save.save(db, actor, [row])


def _organization_writes(db: Database, actor: Actor) -> None:
    org = organizations.create(db, actor, "Shape Org")
    organizations.rename(db, actor, org.id, org.version, "Shape Org Renamed")
    impact = organizations.delete_impact(db, org.id)
    organizations.delete(db, actor, org.id, impact.organization.version, preview=impact)


def _plugin_writes(db: Database, actor: Actor) -> None:
    plugin = plugins.create(
        db,
        actor,
        {
            "organization_id": 1,
            "data_source": "s3",
            "title": "Shape",
            "credentials": {"key": "secret-value"},
            "properties": {},
        },
    )
    plugins.update(db, actor, plugin.id, plugin.version, {"title": "Shaped"})
    plugins.reveal_credentials(db, actor, plugin.id)
    with db.engine.connect() as c:
        current = load_plugin(c, plugin.id)
    assert current is not None
    plugins.delete(db, actor, plugin.id, current.version)


ACTIONS: dict[str, Callable[[Database, Actor], None]] = {
    "user create": _create_user,
    "user update": _update_user,
    "user status": _set_status,
    "user hard delete": _hard_delete_user,
    "bulk status": _bulk_status,
    "bulk move": _bulk_move,
    "bulk hard delete": _bulk_delete,
    "csv import": _csv_import,
    "inline save": _staged,
    "organization create, rename, delete": _organization_writes,
    "plugin create, update, reveal, delete": _plugin_writes,
}


def _status_values(value: Any) -> list[Any]:
    return [value["status"]] if isinstance(value, dict) and "status" in value else []


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_write_audits_in_one_shape(name: str, db: Database, actor: Actor) -> None:
    assert audit.entries(db, limit=10) == []
    ACTIONS[name](db, actor)
    rows = audit.entries(db, limit=1000)
    assert rows, f"{name} wrote no audit row"
    for row in rows:
        assert (row.os_user, row.profile) == (actor.os_user, actor.profile)
        assert row.db_user and row.at is not None and row.action
        assert row.entity in {"user", "organization", "plugin"} and row.entity_id is not None
        if row.action != "reveal_credentials":  # an event, not a change: no values
            assert row.before is not None or row.after is not None
        for side in (row.before, row.after):
            assert side is None or isinstance(side, dict)
            for status in _status_values(side):
                assert status in STATUS_NAMES, f"{name}: status {status!r} is not a name"
        if row.entity == "user" and (row.before is None or row.after is None):
            whole = row.after if row.before is None else row.before
            assert set(whole) == USER_KEYS, f"{name} ({row.action}): {sorted(whole)}"
        if row.entity == "plugin":
            for side in (row.before, row.after):
                if isinstance(side, dict) and "credentials" in side:
                    assert "secret-value" not in str(side["credentials"])
    with db.engine.connect() as c:
        assert load_organization(c, 1) is not None


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_write_reports_the_rows_it_changed_once_committed(
    name: str, db: Database, actor: Actor
) -> None:
    """The session's hub hears of exactly the rows the audit trail records as changed,
    each as an insert, update or delete, and only after its transaction committed."""
    heard: list[RowsChanged] = []
    committed: list[bool] = []

    def listen(change: RowsChanged) -> None:
        heard.append(change)
        with db.engine.connect() as c:  # another connection: is it there for everyone?
            committed.append(
                c.execute(
                    text("SELECT count(*) FROM tenantry_audit WHERE entity = :e"),
                    {"e": change.table},
                ).scalar_one()
                > 0
            )

    db.hub.subscribe(RowsChanged, listen)
    ACTIONS[name](db, actor)
    expected: dict[tuple[str, int], str] = {}
    for row in reversed(audit.entries(db, limit=1000)):  # oldest first: the last one wins
        kind = changes.action_of(row.before, row.after)
        if kind is not None and row.entity_id is not None:
            expected[(row.entity, row.entity_id)] = kind
    reported = {(c.table, i): c.action for c in heard for i in c.ids}
    assert set(reported) == set(expected), name
    # Within one action a row may be created and later deleted: its last fate counts.
    assert all(reported[key] in (kind, INSERT, UPDATE) for key, kind in expected.items())
    assert all(committed), f"{name}: a listener heard of a change before it was committed"
    for change in heard:
        if change.action == UPDATE and change.columns is not None:
            assert change.columns, f"{name}: an update that changed no column"


def test_a_write_that_fails_reports_nothing(db: Database, other_db: Database, actor: Actor) -> None:
    heard: list[RowsChanged] = []
    db.hub.subscribe(RowsChanged, heard.append)
    user = _user(db, _user_ids(db, 1)[0])
    users.update(other_db, actor, user.id, user.version, {"name": "A colleague was first"})
    assert heard == []  # another session's write: its own hub, not this one's
    with pytest.raises(ConflictError):
        users.update(db, actor, user.id, user.version, {"name": "Too late"})
    seen = bulk.snapshot(db, _user_ids(db, 3, 30)).versions
    with other_db.engine.begin() as c:
        c.execute(text('UPDATE "user" SET name = name WHERE id = :id'), {"id": min(seen)})
    with pytest.raises(KnownError):
        bulk.set_status(db, actor, seen, UserStatus.INACTIVE)
    assert heard == []
    # The next write on the same pooled connection reports only itself.
    fresh = _user(db, user.id)
    users.update(db, actor, fresh.id, fresh.version, {"name": "Mine after all"})
    assert heard == [RowsChanged("user", frozenset({user.id}), UPDATE, frozenset({"name"}))]
