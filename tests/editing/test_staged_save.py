"""Saving staged inline edits on a real PostgreSQL: one transaction, checked as seen, audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from desktop.core.staging import StagedChanges, StagedRow
from desktop.db import queries
from desktop.db.models import UserStatus
from desktop.services import audit, staged_save
from desktop.services.columns import TABLES
from desktop.services.database import Database, open_database
from desktop.services.staged_save import StagedSaveFailed
from desktop.services.undo import UndoStack
from desktop.services.writes import Actor, NeedsConfirmation


def grid_row(db: Database, view: str, row_id: int) -> dict[str, Any]:
    """The row exactly as the grid's own query shows it."""
    spec = TABLES[view]
    statement = {"users": queries.users, "plugins": queries.plugins}.get(
        view, queries.organizations
    )
    with db.engine.connect() as c:
        values = c.execute(statement().where(queries.ID_COLUMNS[view] == row_id)).one()
    return {column.key: values[i] for i, column in enumerate(spec.columns)}


def user_ids(db: Database, count: int, system: bool = False) -> list[int]:
    with db.engine.connect() as c:
        return [
            int(i)
            for i in c.execute(
                text('SELECT id FROM "user" WHERE is_system = :s ORDER BY id LIMIT :n'),
                {"s": system, "n": count},
            ).scalars()
        ]


def staged(db: Database, view: str, row_id: int, **changes: Any) -> StagedRow:
    store = StagedChanges()
    seen = grid_row(db, view, row_id)
    for key, value in changes.items():
        store.stage(view, row_id, seen, key, value)
    row = store.get(view, row_id)
    assert row is not None
    return row


def snapshot(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as c:
        return [
            tuple(r)
            for r in c.execute(
                text('SELECT id, name, email, status, xmin::text FROM "user" ORDER BY id')
            )
        ] + [tuple(r) for r in c.execute(text("SELECT id, name, xmin::text FROM organization"))]


def audit_count(db: Database) -> int:
    with db.engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM tenantry_audit")).scalar_one())


def test_save_writes_exactly_the_staged_values_in_one_transaction(
    db: Database, actor: Actor
) -> None:
    first, second = user_ids(db, 2)
    with db.engine.connect() as c:
        org_id = int(c.execute(text("SELECT min(id) FROM organization")).scalar_one())
    rows = [
        staged(db, "users", first, name="Ada Inline", email="ada.inline@example.org"),
        staged(db, "users", second, status=int(UserStatus.INACTIVE)),
        staged(db, "organizations", org_id, name="Renamed Inline Org"),
    ]
    before = {r.row_id: grid_row(db, r.view, r.row_id) for r in rows if r.view == "users"}
    saved = staged_save.save(db, actor, rows)
    assert (saved.rows, saved.cells) == (3, 4)
    after_first = grid_row(db, "users", first)
    assert (after_first["name"], after_first["email"]) == ("Ada Inline", "ada.inline@example.org")
    assert after_first["status"] == before[first]["status"]  # untouched columns stay
    assert grid_row(db, "users", second)["status"] == int(UserStatus.INACTIVE)
    assert grid_row(db, "users", second)["name"] == before[second]["name"]
    assert grid_row(db, "organizations", org_id)["name"] == "Renamed Inline Org"
    with db.engine.connect() as c:
        xmins = c.execute(
            text(
                'SELECT xmin::text FROM "user" WHERE id IN (:a, :b)'
                " UNION ALL SELECT xmin::text FROM organization WHERE id = :o"
            ),
            {"a": first, "b": second, "o": org_id},
        ).scalars()
        assert len(set(xmins)) == 1  # all three rows written by the same transaction
    entries = audit.entries(db, limit=10)
    assert len(entries) == 3
    by_entity = {(e.entity, e.entity_id): e for e in entries}
    ada = by_entity[("user", first)]
    assert ada.action == "update" and ada.profile == "test-profile"
    assert ada.before["name"] == before[first]["name"] and ada.after["name"] == "Ada Inline"
    assert by_entity[("user", second)].after["status"] == "INACTIVE"
    assert by_entity[("organization", org_id)].after["name"] == "Renamed Inline Org"


def test_a_colleagues_change_is_a_conflict_and_nothing_of_the_batch_is_written(
    db: Database, other_db: Database, actor: Actor
) -> None:
    first, second = user_ids(db, 2)
    rows = [staged(db, "users", first, name="Mine"), staged(db, "users", second, name="Also mine")]
    # The colleague changes the second row after we saw it (a column we did not edit).
    with other_db.engine.begin() as c:
        c.execute(text('UPDATE "user" SET status = 2 WHERE id = :id'), {"id": second})
    state = snapshot(db)
    audits = audit_count(db)
    with pytest.raises(StagedSaveFailed) as caught:
        staged_save.save(db, actor, rows)
    (conflict,) = caught.value.conflicts
    assert (conflict.view, conflict.row_id) == ("users", second)
    assert conflict.theirs is not None and conflict.theirs["status"] == "INACTIVE"
    assert f"#{second}" in caught.value.message
    assert snapshot(db) == state and audit_count(db) == audits
    # Overwriting knowingly writes both rows and keeps the colleague's status.
    rows[1].overwrite = True
    staged_save.save(db, actor, rows)
    assert grid_row(db, "users", second)["name"] == "Also mine"
    assert grid_row(db, "users", second)["status"] == 2
    assert grid_row(db, "users", first)["name"] == "Mine"


@pytest.mark.parametrize(
    ("view", "edit", "colleague"),
    [
        # Columns the grid never shows: the row version is what tells.
        ("users", {"name": "Mine"}, "UPDATE \"user\" SET active_token_id = 'tok-1' WHERE id = :id"),
        (
            "plugins",
            {"title": "Mine"},
            # The same credential key names (what the grid shows), another secret value.
            "UPDATE plugin SET credentials = (SELECT json_object_agg(k, 'rotated')"
            " FROM json_object_keys(credentials) AS k) WHERE id = :id",
        ),
        # Even a colleague who wrote the values the grid shows again: the row was written.
        ("organizations", {"name": "Mine"}, "UPDATE organization SET name = name WHERE id = :id"),
    ],
)
def test_a_change_to_a_column_the_grid_does_not_show_is_a_conflict(
    db: Database, other_db: Database, actor: Actor, view: str, edit: dict[str, Any], colleague: str
) -> None:
    table = {"users": '"user"', "plugins": "plugin", "organizations": "organization"}[view]
    with db.engine.connect() as c:
        row_id = int(
            c.execute(
                text(
                    f"SELECT min(id) FROM {table}"
                    + (" WHERE json_typeof(credentials) = 'object'" if view == "plugins" else "")
                )
            ).scalar_one()
        )
    seen = grid_row(db, view, row_id)
    row = staged(db, view, row_id, **edit)
    assert row.version == seen["version"] is not None
    with other_db.engine.begin() as c:
        c.execute(text(colleague), {"id": row_id})
    # What the grid shows of the row is unchanged: only the version says it was written.
    shown = {k: v for k, v in grid_row(db, view, row_id).items() if k != "version"}
    assert shown == {k: v for k, v in seen.items() if k != "version"}
    state, audits = snapshot(db), audit_count(db)
    with pytest.raises(StagedSaveFailed) as caught:
        staged_save.save(db, actor, [row])
    (conflict,) = caught.value.conflicts
    assert (conflict.view, conflict.row_id) == (view, row_id)
    assert "changed by someone else" in conflict.message
    assert snapshot(db) == state and audit_count(db) == audits


def test_a_row_deleted_meanwhile_is_a_conflict(
    db: Database, other_db: Database, actor: Actor
) -> None:
    (user_id,) = user_ids(db, 1)
    row = staged(db, "users", user_id, name="Too late")
    with other_db.engine.begin() as c:
        c.execute(text('DELETE FROM "user" WHERE id = :id'), {"id": user_id})
    with pytest.raises(StagedSaveFailed) as caught:
        staged_save.save(db, actor, [row])
    assert caught.value.conflicts[0].theirs is None
    assert "deleted" in caught.value.conflicts[0].message


@pytest.mark.parametrize(
    ("view", "changes", "field", "words"),
    [
        ("users", {"email": "not an email"}, "email", "not a valid email"),
        ("users", {"email": "ceo\u202emoc.evil@x.io"}, "email", "U+202E"),
        ("users", {"email": "a\x1b[2Jb@example.com"}, "email", "U+001B"),
        ("users", {"email": "a\x9bb@example.com"}, "email", "U+009B"),
        ("users", {"email": "a\u200b@example.com"}, "email", "U+200B ZERO WIDTH SPACE"),
        ("users", {"name": "   "}, "name", "required"),
        ("users", {"name": "x" * 10_000}, "name", "too long"),
        ("users", {"name": "nul\x00byte"}, "name", "NUL"),
        ("organizations", {"name": ""}, "name", "required"),
        ("plugins", {"title": "\t"}, "title", "required"),
    ],
)
def test_invalid_values_name_the_row_and_field_and_write_nothing(
    db: Database, actor: Actor, view: str, changes: dict[str, Any], field: str, words: str
) -> None:
    (first,) = user_ids(db, 1)
    with db.engine.connect() as c:
        row_id = (
            first
            if view == "users"
            else int(c.execute(text(f"SELECT min(id) FROM {TABLES[view].table}")).scalar_one())
        )
    good = staged(db, "users", user_ids(db, 2)[1], name="Would be fine")
    bad = staged(db, view, row_id, **changes)
    state, audits = snapshot(db), audit_count(db)
    with pytest.raises(StagedSaveFailed) as caught:
        staged_save.save(db, actor, [good, bad])
    assert words in caught.value.problems[(view, row_id)][field]
    assert snapshot(db) == state and audit_count(db) == audits


def test_duplicate_emails_in_the_database_and_within_the_batch(db: Database, actor: Actor) -> None:
    a, b, c = user_ids(db, 3)
    taken = grid_row(db, "users", c)["email"]
    rows = [
        staged(db, "users", a, email=taken),
        staged(db, "users", b, email="same@example.org"),
        staged(db, "users", c, email="same@example.org"),
    ]
    state = snapshot(db)
    with pytest.raises(StagedSaveFailed) as caught:
        staged_save.save(db, actor, rows)
    problems = caught.value.problems
    assert f"User #{c} already has" in problems[("users", a)]["email"]
    assert "same save" in problems[("users", c)]["email"]
    assert snapshot(db) == state


def test_an_inline_email_differing_only_in_letter_case_is_refused(
    db: Database, actor: Actor
) -> None:
    a, b = user_ids(db, 2)
    taken = grid_row(db, "users", b)["email"]
    state = snapshot(db)
    with pytest.raises(StagedSaveFailed) as caught:
        staged_save.save(db, actor, [staged(db, "users", a, email=taken.upper())])
    assert (
        f"User #{b} already has this email address in other letter case"
        in (caught.value.problems[("users", a)]["email"])
    )
    assert snapshot(db) == state
    rows = [
        staged(db, "users", a, email="Twin@example.org"),
        staged(db, "users", b, email="twin@example.org"),
    ]
    with pytest.raises(StagedSaveFailed) as twins:
        staged_save.save(db, actor, rows)
    assert "same save" in twins.value.problems[("users", b)]["email"]
    assert snapshot(db) == state


def test_system_users_need_confirmation(db: Database, actor: Actor) -> None:
    (system_id,) = user_ids(db, 1, system=True)
    row = staged(db, "users", system_id, name="Renamed Service")
    with pytest.raises(NeedsConfirmation):
        staged_save.save(db, actor, [row])
    assert grid_row(db, "users", system_id)["name"] != "Renamed Service"
    staged_save.save(db, actor, [row], confirm_system=True)
    assert grid_row(db, "users", system_id)["name"] == "Renamed Service"


def test_plugin_title_changes_and_credentials_stay(db: Database, actor: Actor) -> None:
    with db.engine.connect() as c:
        plugin_id, credentials = c.execute(
            text("SELECT id, credentials::text FROM plugin ORDER BY id LIMIT 1")
        ).one()
    staged_save.save(db, actor, [staged(db, "plugins", plugin_id, title="Renamed plugin")])
    with db.engine.connect() as c:
        title, now = c.execute(
            text("SELECT title, credentials::text FROM plugin WHERE id = :id"), {"id": plugin_id}
        ).one()
    assert (title, now) == ("Renamed plugin", credentials)
    (entry,) = audit.entries(db, entity="plugin", limit=1)
    assert entry.after["credentials"] == audit.mask_secrets(entry.after["credentials"])


def test_undo_restores_the_whole_save(db: Database, actor: Actor) -> None:
    first, second = user_ids(db, 2)

    def shown(row_id: int) -> dict[str, Any]:  # what undo restores: all but the row version
        return {k: v for k, v in grid_row(db, "users", row_id).items() if k != "version"}

    before = [shown(i) for i in (first, second)]
    undo = UndoStack()
    staged_save.save(
        db,
        actor,
        [staged(db, "users", first, name="Undo me"), staged(db, "users", second, status=3)],
        undo=undo,
    )
    assert undo.next_description == "Undo 2 inline changes"
    undo.undo(db, actor)
    assert [shown(i) for i in (first, second)] == before


def test_read_only_sessions_are_refused(seeded_url: str, actor: Actor) -> None:
    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    try:
        (user_id,) = user_ids(db, 1)
        with pytest.raises(Exception, match="read-only"):
            staged_save.save(db, actor, [staged(db, "users", user_id, name="Nope")])
    finally:
        db.dispose()


def test_the_store_keys_by_id_and_unstages_a_cell_set_back() -> None:
    store = StagedChanges()
    heard: list[int] = []
    store.subscribe(lambda: heard.append(len(store)))
    seen = {"id": 5, "name": "Old", "email": "old@example.org", "status": 1}
    store.stage("users", 5, seen, "name", "New")
    store.stage("users", 5, seen, "email", "new@example.org")
    assert len(store) == 2 and store.view("users")[5].changes["name"] == "New"
    store.stage("users", 5, seen, "name", "Old")
    assert store.get("users", 5) is not None and len(store) == 1
    store.discard_cell("users", 5, "email")
    assert not store and store.view("users") == {}
    assert heard == [1, 2, 1, 0]
    with pytest.raises(ValueError, match="cannot be edited inline"):
        store.stage("plugins", 1, {}, "credentials", "{}")
