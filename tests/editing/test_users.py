"""User writes on a real PostgreSQL: validation, conflicts, system users, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from desktop.core.validation import ValidationError
from desktop.db.models import UserStatus
from desktop.services import audit, users
from desktop.services.database import Database
from desktop.services.records import load_user
from desktop.services.writes import Actor, ConflictError, NeedsConfirmation


def _any_user(db: Database, system: bool = False) -> int:
    with db.engine.connect() as c:
        return int(
            c.execute(
                text('SELECT id FROM "user" WHERE is_system = :s ORDER BY id LIMIT 1'),
                {"s": system},
            ).scalar_one()
        )


def _load(db: Database, user_id: int):  # type: ignore[no-untyped-def]
    with db.engine.connect() as c:
        return load_user(c, user_id)


def test_update_is_audited_with_before_and_after(db: Database, actor: Actor) -> None:
    user = _load(db, _any_user(db))
    after = users.update(db, actor, user.id, user.version, {"name": "  Renamed Person "})
    assert after.name == "Renamed Person" and after.version != user.version
    (entry,) = audit.entries(db, entity="user", limit=1)
    assert (entry.entity_id, entry.action, entry.os_user, entry.profile) == (
        user.id,
        "update",
        "tester",
        "test-profile",
    )
    assert entry.before["name"] == user.name and entry.after["name"] == "Renamed Person"
    assert entry.db_user == db.info.user


def test_concurrent_update_is_a_conflict_and_the_first_change_stays(
    db: Database, other_db: Database, actor: Actor
) -> None:
    user_id = _any_user(db)
    mine, theirs = _load(db, user_id), _load(other_db, user_id)
    users.update(other_db, Actor("colleague", "them"), user_id, theirs.version, {"name": "First"})
    with pytest.raises(ConflictError) as caught:
        users.update(db, actor, user_id, mine.version, {"name": "Second"})
    assert caught.value.theirs is not None and caught.value.theirs["name"] == "First"
    assert _load(db, user_id).name == "First"
    # Overwriting knowingly works and is audited.
    users.update(db, actor, user_id, mine.version, {"name": "Second"}, overwrite=True)
    assert _load(db, user_id).name == "Second"


def test_delete_after_a_colleague_changed_the_row_is_a_conflict(
    db: Database, other_db: Database, actor: Actor
) -> None:
    user_id = _any_user(db)
    mine = _load(db, user_id)
    users.update(other_db, actor, user_id, _load(other_db, user_id).version, {"name": "Changed"})
    with pytest.raises(ConflictError):
        users.hard_delete(db, actor, user_id, mine.version)
    assert _load(db, user_id) is not None


def test_update_of_a_row_deleted_meanwhile_says_so(
    db: Database, other_db: Database, actor: Actor
) -> None:
    user_id = _any_user(db)
    mine = _load(db, user_id)
    users.hard_delete(other_db, actor, user_id, _load(other_db, user_id).version)
    with pytest.raises(ConflictError, match="deleted"):
        users.update(db, actor, user_id, mine.version, {"name": "Too late"})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"status": 4}, "status"),
        ({"organization_id": 0}, "organization_id"),
        ({"organization_id": 987654321}, "organization_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    db: Database, actor: Actor, changes: dict[str, object], field: str
) -> None:
    user = _load(db, _any_user(db))
    with pytest.raises(ValidationError) as caught:
        users.update(db, actor, user.id, user.version, changes)
    assert caught.value.field == field
    assert _load(db, user.id) == user
    assert audit.entries(db) == []


def test_duplicate_email_is_refused_and_case_variants_are_reported(
    db: Database, actor: Actor
) -> None:
    with db.engine.connect() as c:
        a, b = c.execute(text('SELECT id, email FROM "user" ORDER BY id LIMIT 2')).all()
    user_b = _load(db, b.id)
    with pytest.raises(ValidationError) as caught:
        users.update(db, actor, b.id, user_b.version, {"email": a.email})
    assert caught.value.field == "email"
    check = users.check_email(db, a.email.upper(), exclude_id=b.id)
    assert check.taken_by is None and check.case_variants == (a.email,)


def test_system_users_need_confirmation_and_are_not_hard_deleted_by_default(
    db: Database, actor: Actor
) -> None:
    system = _load(db, _any_user(db, system=True))
    with pytest.raises(NeedsConfirmation):
        users.set_status(db, actor, system.id, system.version, UserStatus.INACTIVE)
    with pytest.raises(NeedsConfirmation):
        users.hard_delete(db, actor, system.id, system.version)
    assert _load(db, system.id) == system
    changed = users.set_status(
        db, actor, system.id, system.version, UserStatus.INACTIVE, confirm_system=True
    )
    assert changed.status is UserStatus.INACTIVE


def test_deactivate_soft_delete_and_hard_delete_are_distinct(db: Database, actor: Actor) -> None:
    user = _load(db, _any_user(db))
    user = users.set_status(db, actor, user.id, user.version, UserStatus.INACTIVE)
    user = users.set_status(db, actor, user.id, user.version, UserStatus.DELETED)
    assert _load(db, user.id).status is UserStatus.DELETED
    users.hard_delete(db, actor, user.id, user.version)
    assert _load(db, user.id) is None
    actions = [e.action for e in reversed(audit.entries(db, entity="user"))]
    assert actions == ["deactivate", "soft_delete", "hard_delete"]


def test_move_to_another_organization(db: Database, actor: Actor) -> None:
    user = _load(db, _any_user(db))
    with db.engine.connect() as c:
        target = c.execute(text("SELECT max(id) FROM organization")).scalar_one()
    moved = users.move(db, actor, user.id, user.version, target)
    assert moved.organization_id == target


def test_create_user_uses_server_defaults(db: Database, actor: Actor) -> None:
    created = users.create(
        db, actor, {"name": "New Person", "email": "new.person@example.com", "organization_id": 1}
    )
    assert created.status is UserStatus.ACTIVE and created.is_system is False
    with pytest.raises(ValidationError) as caught:
        users.create(
            db, actor, {"name": "Again", "email": "new.person@example.com", "organization_id": 1}
        )
    assert caught.value.field == "email"


def test_read_only_profile_refuses_every_write_before_sending_it(seeded_url: str) -> None:
    from desktop.core.errors import KnownError
    from desktop.services import organizations, plugins
    from desktop.services.database import open_database

    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    actor = Actor("support", "s")
    try:
        user = _load(db, _any_user(db))
        attempts = [
            lambda: users.update(db, actor, user.id, user.version, {"name": "x"}),
            lambda: users.hard_delete(db, actor, user.id, user.version),
            lambda: organizations.rename(db, actor, 1, "v", "x"),
            lambda: plugins.reveal_credentials(db, actor, 1),
        ]
        for attempt in attempts:
            with pytest.raises(KnownError, match="read-only"):
                attempt()
        assert _load(db, user.id) == user
    finally:
        db.dispose()


def test_a_new_case_only_duplicate_email_is_refused_existing_pairs_stay_editable(
    db: Database, actor: Actor
) -> None:
    """Firebase compares emails without case: such rows would share one sign-in identity."""
    with db.engine.begin() as c:
        first, second, third = c.execute(
            text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id LIMIT 3')
        ).scalars()
        c.execute(
            text('UPDATE "user" SET email = :e WHERE id = :i'),
            {"e": "Grace.Case@example.com", "i": first},
        )
    with db.engine.connect() as c:
        target = load_user(c, second)
    assert target is not None
    with pytest.raises(ValidationError) as refused:
        users.update(db, actor, second, target.version, {"email": "grace.case@EXAMPLE.com"})
    assert "other letter case (Grace.Case@example.com)" in refused.value.problems["email"]
    assert f"User #{first}" in refused.value.problems["email"]
    with pytest.raises(ValidationError, match="other letter case"):
        users.create(
            db,
            actor,
            {"name": "Dup", "email": "GRACE.CASE@example.com", "organization_id": 1, "status": 1},
        )
    # A case-only pair already in the data: the rows stay editable in other fields.
    with db.engine.begin() as c:
        c.execute(
            text('UPDATE "user" SET email = :e WHERE id = :i'),
            {"e": "grace.case@example.com", "i": third},
        )
    with db.engine.connect() as c:
        pair = load_user(c, third)
    assert pair is not None
    renamed = users.update(
        db, actor, third, pair.version, {"name": "Still Editable", "email": pair.email}
    )
    assert renamed.name == "Still Editable"
