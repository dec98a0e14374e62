"""Firebase actions are recorded in the audit trail, in the same transaction as the row."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.services import audit
from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.session import FirebaseAccounts
from desktop.services.firebase.settings import FirebaseSettings
from desktop.services.writes import Actor

from .helpers import add_users


def _entries(engine: Engine) -> list[tuple[str, object, object]]:
    with engine.connect() as c:
        return [
            tuple(r)
            for r in c.execute(text("SELECT action, before, after FROM tenantry_audit ORDER BY id"))
        ]


def test_actions_are_audited_and_the_reset_link_is_not(
    engine: Engine, fb: FirebaseClient, fb_settings: FirebaseSettings
) -> None:
    (user_id,) = add_users(engine, [{"email": "audited@acme.example", "name": "Aud Ited"}])
    service = FirebaseAccounts(engine, fb_settings, audit=audit.firebase_hook(Actor("p", "me")))
    try:
        created = service.create_account(user_id)
        service.sign_out_everywhere(user_id)
        link = service.password_reset_link(user_id).secret
        service.hard_delete_user(user_id, delete_account=True)
    finally:
        service.close()
    entries = _entries(engine)
    actions = [e[0] for e in entries]
    assert actions == [
        "firebase: create the Firebase account",
        "firebase: sign the user out",
        "firebase: generate a password-reset link",
        "firebase: delete the user",
    ]
    created_entry = entries[0]
    assert created_entry[1]["firebase_id"] is None
    assert created_entry[2]["firebase_id"] == created.firebase_uid
    assert entries[-1][2] is None
    assert link and all(link not in str(e) for e in entries)
