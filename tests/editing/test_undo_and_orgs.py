"""Undo re-applies the before values with a conflict check; organization and plugin writes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from desktop.core.errors import KnownError
from desktop.core.validation import ValidationError
from desktop.db.models import UserStatus
from desktop.services import audit, bulk, organizations, plugins, users
from desktop.services.database import Database
from desktop.services.records import load_organization, load_plugin, load_user
from desktop.services.undo import UndoStack
from desktop.services.writes import Actor, ConflictError, NeedsConfirmation


def _user(db: Database, offset: int = 0):  # type: ignore[no-untyped-def]
    with db.engine.connect() as c:
        user_id = c.execute(
            text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id OFFSET :o LIMIT 1'),
            {"o": offset},
        ).scalar_one()
        return load_user(c, user_id)


def test_undo_restores_the_before_values(db: Database, actor: Actor) -> None:
    stack = UndoStack()
    user = _user(db)
    users.update(
        db,
        actor,
        user.id,
        user.version,
        {"name": "Temporary", "email": "t@example.com"},
        undo=stack,
    )
    assert stack.next_description is not None
    stack.undo(db, actor)
    restored = _user(db)
    assert (restored.name, restored.email) == (user.name, user.email)
    assert audit.entries(db, limit=1)[0].action == "undo"
    with pytest.raises(KnownError, match="nothing to undo"):
        stack.undo(db, actor)


def test_undo_refuses_when_someone_changed_the_row_since(
    db: Database, other_db: Database, actor: Actor
) -> None:
    stack = UndoStack()
    user = _user(db)
    mine = users.update(db, actor, user.id, user.version, {"name": "Mine"}, undo=stack)
    users.update(other_db, Actor("colleague", "them"), user.id, mine.version, {"name": "Theirs"})
    with pytest.raises(ConflictError):
        stack.undo(db, actor)
    assert _user(db).name == "Theirs"
    assert stack.next_description is not None  # still there to retry or discard


def test_undo_of_hard_delete_and_of_bulk(db: Database, actor: Actor) -> None:
    stack = UndoStack()
    user = _user(db)
    users.hard_delete(db, actor, user.id, user.version, undo=stack)
    stack.undo(db, actor)
    back = _user(db)
    assert back.id == user.id and back.email == user.email and back.date_joined == user.date_joined
    with db.engine.connect() as c:
        seen = dict(
            c.execute(
                text('SELECT id, xmin::text FROM "user" WHERE NOT is_system ORDER BY id LIMIT 40')
            ).all()
        )
        before = dict(
            c.execute(
                text('SELECT id, status FROM "user" WHERE id = ANY(:i)'), {"i": list(seen)}
            ).all()
        )
    bulk.set_status(db, actor, seen, UserStatus.DELETED, undo=stack)
    stack.undo(db, actor)
    with db.engine.connect() as c:
        after = dict(
            c.execute(
                text('SELECT id, status FROM "user" WHERE id = ANY(:i)'), {"i": list(seen)}
            ).all()
        )
    assert after == before


def test_organization_delete_preview_matches_and_deletes_only_its_rows(
    db: Database, actor: Actor
) -> None:
    with db.engine.connect() as c:
        org_id = c.execute(
            text("SELECT organization_id FROM plugin GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()
        totals = c.execute(
            text(
                'SELECT (SELECT count(*) FROM "user"), (SELECT count(*) FROM plugin),'
                " (SELECT count(*) FROM organization)"
            )
        ).one()
        version = load_organization(c, org_id).version
    impact = organizations.delete_impact(db, org_id)
    with db.engine.connect() as c:
        assert (
            impact.users
            == c.execute(
                text('SELECT count(*) FROM "user" WHERE organization_id = :o'), {"o": org_id}
            ).scalar_one()
        )
        assert (
            impact.plugins
            == c.execute(
                text("SELECT count(*) FROM plugin WHERE organization_id = :o"), {"o": org_id}
            ).scalar_one()
        )
    assert impact.plugins > 0 and impact.users > 0
    assert sum(impact.users_by_status.values()) == impact.users
    organizations.delete(db, actor, org_id, version)
    with db.engine.connect() as c:
        now = c.execute(
            text(
                'SELECT (SELECT count(*) FROM "user"), (SELECT count(*) FROM plugin),'
                " (SELECT count(*) FROM organization)"
            )
        ).one()
    assert now == (totals[0] - impact.users, totals[1] - impact.plugins, totals[2] - 1)
    logged = audit.entries(db, limit=1000)
    assert sum(1 for e in logged if e.entity == "plugin" and e.action == "delete") == impact.plugins
    assert all(
        set(e.before["credentials"].values()) == {"••••••"} for e in logged if e.entity == "plugin"
    )


def test_production_delete_requires_typing_the_name(db: Database, actor: Actor) -> None:
    prod = type(db)(engine=db.engine, label="Prod", environment="production", info=db.info)
    with db.engine.connect() as c:
        org = load_organization(c, 2)
    with pytest.raises(NeedsConfirmation):
        organizations.delete(prod, actor, org.id, org.version, typed_name="wrong")
    with db.engine.connect() as c:
        assert load_organization(c, 2) is not None
    organizations.delete(prod, actor, org.id, org.version, typed_name=org.name)
    with db.engine.connect() as c:
        assert load_organization(c, 2) is None


def test_plugin_credentials_are_masked_in_audit_and_reveal_is_audited(
    db: Database, actor: Actor
) -> None:
    secret = "sk_live_super_secret_value_123"
    created = plugins.create(
        db,
        actor,
        {
            "organization_id": 1,
            "data_source": "stripe",
            "title": "Stripe (test)",
            "credentials": json.dumps({"api_key": secret}),
            "properties": '{"region": "eu"}',
        },
    )
    masked = plugins.load_masked(db, created.id)
    assert secret not in repr(masked) and secret not in json.dumps(masked.credentials)
    plugins.update(db, actor, created.id, created.version, {"title": "Stripe"})
    assert secret not in json.dumps(
        [e.before for e in audit.entries(db)] + [e.after for e in audit.entries(db)]
    )
    assert plugins.reveal_credentials(db, actor, created.id) == {"api_key": secret}
    assert audit.entries(db, limit=1)[0].action == "reveal_credentials"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credentials", "{not json"),
        ("properties", '"a string"'),
        ("title", ""),
        ("properties", json.dumps({"blob": "x" * 5_000_000})),
        ("data_source", "a\x00b"),
    ],
)
def test_plugin_validation_names_the_field(
    db: Database, actor: Actor, field: str, value: str
) -> None:
    with db.engine.connect() as c:
        plugin = load_plugin(c, 1)
    with pytest.raises(ValidationError) as caught:
        plugins.update(db, actor, plugin.id, plugin.version, {field: value})
    assert caught.value.field == field
    with db.engine.connect() as c:
        assert load_plugin(c, 1) == plugin


def test_a_stale_organization_delete_preview_deletes_nothing(
    db: Database, other_db: Database, actor: Actor
) -> None:
    """The preview said N users; a colleague added one; the delete must not take N + 1."""
    org_id = 3
    preview = organizations.delete_impact(db, org_id)
    with other_db.engine.begin() as c:
        c.execute(
            text(
                'INSERT INTO "user" (name, email, organization_id, status, is_system)'
                " VALUES ('Late Arrival', 'late.arrival@example.com', :o, 1, false)"
            ),
            {"o": org_id},
        )
    with pytest.raises(organizations.StalePreview) as stale:
        organizations.delete(db, actor, org_id, preview.organization.version, preview=preview)
    assert stale.value.impact.users == preview.users + 1
    assert f"users {preview.users + 1:,} (the preview said {preview.users:,})" in str(stale.value)
    with db.engine.connect() as c:
        organization = text("SELECT count(*) FROM organization WHERE id = :o")
        assert c.execute(organization, {"o": org_id}).scalar_one() == 1
        assert (
            c.execute(
                text('SELECT count(*) FROM "user" WHERE organization_id = :o'), {"o": org_id}
            ).scalar_one()
            == preview.users + 1
        )
    assert audit.entries(db, entity="organization", limit=10) == []
    # Confirmed again with the new figures, it goes through.
    organizations.delete(
        db, actor, org_id, preview.organization.version, preview=stale.value.impact
    )
    with db.engine.connect() as c:
        assert (
            c.execute(
                text("SELECT count(*) FROM organization WHERE id = :o"), {"o": org_id}
            ).scalar_one()
            == 0
        )


def test_undo_never_reaches_past_a_permanent_delete(db: Database, actor: Actor) -> None:
    """Ctrl+Z after an organization delete silently reverted an older change."""
    stack = UndoStack()
    user = _user(db)
    users.update(db, actor, user.id, user.version, {"name": "Older Change"}, undo=stack)
    assert stack.next_description is not None
    org = organizations.delete_impact(db, 5)
    organizations.delete(db, actor, 5, org.organization.version, preview=org, undo=stack)
    assert stack.next_description is None
    assert stack.last_irreversible == f"Delete organization {org.organization.name}"
    with pytest.raises(KnownError, match="cannot be undone"):
        stack.undo(db, actor)
    with db.engine.connect() as c:
        assert load_user(c, user.id).name == "Older Change"  # type: ignore[union-attr]
