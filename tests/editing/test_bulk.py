"""Bulk user changes: atomic, version-checked, audited; 10,000 users within the budget."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from desktop.core.errors import Cancelled
from desktop.db.models import UserStatus
from desktop.services import audit, bulk, users
from desktop.services.database import Database
from desktop.services.records import load_user
from desktop.services.writes import Actor, NeedsConfirmation


def _seen(
    db: Database, limit: int, system: bool = False, status: UserStatus | None = None
) -> dict[int, str]:
    with db.engine.connect() as c:
        return dict(
            c.execute(
                text(
                    'SELECT id, xmin::text FROM "user" WHERE is_system = :s'
                    " AND (CAST(:status AS int) IS NULL OR status = :status) ORDER BY id LIMIT :n"
                ),
                {"s": system, "n": limit, "status": None if status is None else int(status)},
            ).all()
        )


def test_bulk_status_changes_all_and_audits_each(db: Database, actor: Actor) -> None:
    seen = _seen(db, 50, status=UserStatus.ACTIVE)
    reported: list[tuple[int, int]] = []
    result = bulk.set_status(
        db, actor, seen, UserStatus.INACTIVE, progress=lambda d, t: reported.append((d, t))
    )
    assert set(result.versions) == set(seen)
    with db.engine.connect() as c:
        statuses = set(
            c.execute(
                text('SELECT status FROM "user" WHERE id = ANY(:ids)'), {"ids": list(seen)}
            ).scalars()
        )
    assert statuses == {2}
    assert reported[-1] == (50, 50)
    entries = audit.entries(db, entity="user", limit=100)
    assert len(entries) == 50 and {e.after["status"] for e in entries} == {"INACTIVE"}


def _statuses(db: Database, seen: dict[int, str]) -> dict[int, int]:
    with db.engine.connect() as c:
        return dict(
            c.execute(
                text('SELECT id, status FROM "user" WHERE id = ANY(:ids)'), {"ids": list(seen)}
            ).all()
        )


def test_one_stale_row_changes_nothing(db: Database, other_db: Database, actor: Actor) -> None:
    seen = _seen(db, 20)
    before = _statuses(db, seen)
    victim = next(iter(seen))
    with other_db.engine.connect() as c:
        record = load_user(c, victim)
    assert record is not None
    users.update(other_db, actor, victim, record.version, {"name": "Changed meanwhile"})
    with pytest.raises(bulk.BulkConflict) as caught:
        bulk.set_status(db, actor, seen, UserStatus.DELETED)
    assert caught.value.changed == [victim]
    assert _statuses(db, seen) == before


def test_system_users_need_confirmation_in_bulk(db: Database, actor: Actor) -> None:
    seen = {**_seen(db, 5), **_seen(db, 2, system=True)}
    with pytest.raises(NeedsConfirmation):
        bulk.hard_delete(db, actor, seen)
    with pytest.raises(NeedsConfirmation):
        bulk.set_status(db, actor, seen, UserStatus.INACTIVE)


def test_cancel_leaves_everything_unchanged(db: Database, actor: Actor) -> None:
    seen = _seen(db, 1_500)
    before = _statuses(db, seen)
    calls = iter([False, True])
    bulk.CHUNK, old = 500, bulk.CHUNK
    try:
        with pytest.raises(Cancelled):
            bulk.set_status(db, actor, seen, UserStatus.DELETED, cancelled=lambda: next(calls))
    finally:
        bulk.CHUNK = old
    assert _statuses(db, seen) == before
    assert audit.entries(db) == []


def test_bulk_move_and_hard_delete(db: Database, actor: Actor) -> None:
    seen = _seen(db, 30)
    with db.engine.connect() as c:
        target = c.execute(text("SELECT max(id) FROM organization")).scalar_one()
    moved = bulk.move(db, actor, seen, target)
    gone = bulk.hard_delete(db, actor, moved.versions)
    assert set(gone.versions) == set(seen)
    with db.engine.connect() as c:
        assert (
            c.execute(
                text('SELECT count(*) FROM "user" WHERE id = ANY(:ids)'), {"ids": list(seen)}
            ).scalar_one()
            == 0
        )
    deleted = audit.entries(db, entity="user", limit=100)
    assert {e.action for e in deleted} == {"bulk_move", "bulk_hard_delete"}
    assert all(e.before["email"] for e in deleted if e.action == "bulk_hard_delete")


def test_ten_thousand_users_in_under_two_seconds(db: Database, actor: Actor) -> None:
    with db.engine.begin() as c:
        c.execute(
            text(
                'INSERT INTO "user" (name, email, organization_id)'
                " SELECT 'Bulk ' || i, 'bulk' || i || '@example.com', 1"
                " FROM generate_series(1, 10000) i"
            )
        )
    with db.engine.connect() as c:
        seen = dict(
            c.execute(
                text("SELECT id, xmin::text FROM \"user\" WHERE email LIKE 'bulk%@example.com'")
            ).all()
        )
    started = time.perf_counter()
    bulk.set_status(db, actor, seen, UserStatus.INACTIVE)
    elapsed = time.perf_counter() - started
    print(f"bulk status of {len(seen):,} users: {elapsed:.2f} s")
    assert len(seen) == 10_000 and elapsed < 2.0


def test_deactivate_skips_deleted_users_unless_asked_and_says_how_many(
    db: Database, actor: Actor
) -> None:
    """Bulk "Deactivate" must not turn Deleted users into Inactive ones (they were revived)."""
    active = _seen(db, 10, status=UserStatus.ACTIVE)
    deleted = _seen(db, 7, status=UserStatus.DELETED)
    inactive = _seen(db, 3, status=UserStatus.INACTIVE)
    seen = {**active, **deleted, **inactive}
    selection = bulk.snapshot(db, list(seen))
    preview = selection.status_change(UserStatus.INACTIVE, include_deleted=False)
    assert (preview.changing, preview.deleted_kept, preview.unchanged) == (10, 7, 3)
    assert "7 Deleted users are skipped" in preview.describe(UserStatus.INACTIVE)

    result = bulk.set_status(db, actor, selection.versions, UserStatus.INACTIVE)
    assert set(result.versions) == set(active)
    assert result.skipped == {"deleted": 7, "unchanged": 3}
    now = _statuses(db, seen)
    assert {now[i] for i in deleted} == {int(UserStatus.DELETED)}
    assert {now[i] for i in active} == {int(UserStatus.INACTIVE)}
    audited = {e.entity_id for e in audit.entries(db, entity="user", limit=100)}
    assert audited == set(active)  # skipped rows are neither written nor audited

    again = bulk.snapshot(db, list(deleted))
    revived = bulk.set_status(db, actor, again.versions, UserStatus.ACTIVE, include_deleted=True)
    assert set(revived.versions) == set(deleted) and revived.skipped == {}
    assert {_statuses(db, deleted)[i] for i in deleted} == {int(UserStatus.ACTIVE)}
