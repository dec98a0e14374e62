"""Each account action, checked on both sides: the emulator's account and the user row."""

from __future__ import annotations

import os
import time
import urllib.parse

import pytest
from firebase_admin import auth
from sqlalchemy.engine import Engine

from desktop.core.errors import KnownError
from desktop.services.firebase import actions
from desktop.services.firebase.accounts import load_user_account
from desktop.services.firebase.client import FirebaseClient, emulator_environment

from .helpers import add_users, user_row


def test_account_info_shows_every_field(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="ana@acme.example", email_verified=True, password="secret1")
    fb.auth.set_custom_user_claims(record.uid, {"role": "admin", "tenant": 7})
    (user_id,) = add_users(engine, [{"email": "ana@acme.example", "firebase_id": record.uid}])

    info = load_user_account(engine, fb, user_id)

    assert info.exists and info.account is not None
    account = info.account
    assert account.uid == record.uid
    assert account.email == "ana@acme.example"
    assert account.email_verified is True
    assert account.disabled is False
    assert account.providers == ("password",)
    assert account.created is not None and abs(account.created.timestamp() - time.time()) < 120
    assert account.last_sign_in is None or account.last_sign_in >= account.created
    assert dict(account.custom_claims) == {"role": "admin", "tenant": 7}
    assert info.problems == ()


def test_account_info_for_a_user_without_account(engine: Engine, fb: FirebaseClient) -> None:
    (user_id,) = add_users(engine, [{"email": "nobody@acme.example"}])
    info = load_user_account(engine, fb, user_id)
    assert not info.exists and info.email_match is None
    assert "no Firebase account" in info.problems[0]


def test_account_info_names_problems(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="old@acme.example")
    (user_id,) = add_users(
        engine, [{"email": "new@acme.example", "firebase_id": record.uid, "status": 2}]
    )
    problems = load_user_account(engine, fb, user_id).problems
    assert any("Email differs" in p for p in problems)
    assert any("enabled but the user is Inactive" in p for p in problems)


def test_create_account_sets_firebase_id(engine: Engine, fb: FirebaseClient) -> None:
    (user_id,) = add_users(engine, [{"email": "new@acme.example", "name": "New Person"}])

    result = actions.create_account(engine, fb, user_id)

    row = user_row(engine, user_id)
    assert row is not None and row["firebase_id"] == result.firebase_uid
    record = fb.auth.get_user(result.firebase_uid)
    assert record.email == "new@acme.example"
    assert record.display_name == "New Person"
    assert record.disabled is False


def test_create_account_for_inactive_user_is_disabled(engine: Engine, fb: FirebaseClient) -> None:
    (user_id,) = add_users(engine, [{"email": "gone@acme.example", "status": 2}])
    result = actions.create_account(engine, fb, user_id)
    assert fb.auth.get_user(result.firebase_uid).disabled is True


def test_create_refuses_when_email_taken(engine: Engine, fb: FirebaseClient) -> None:
    existing = fb.auth.create_user(email="taken@acme.example")
    (user_id,) = add_users(engine, [{"email": "taken@acme.example"}])

    with pytest.raises(actions.ActionFailed) as caught:
        actions.create_account(engine, fb, user_id)

    assert caught.value.side == "firebase" and not caught.value.firebase_changed
    assert existing.uid in caught.value.message and "link it" in caught.value.message
    assert user_row(engine, user_id)["firebase_id"] is None  # type: ignore[index]
    assert len(list(fb.auth.list_users().iterate_all())) == 1


def test_link_existing_account_by_email(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="Link.Me@acme.example")
    (user_id,) = add_users(engine, [{"email": "link.me@acme.example"}])

    result = actions.link_account(engine, fb, user_id)

    assert result.firebase_uid == record.uid
    assert user_row(engine, user_id)["firebase_id"] == record.uid  # type: ignore[index]


def test_link_refuses_an_account_linked_elsewhere(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="shared@acme.example")
    first, second = add_users(
        engine,
        [
            {"email": "first@acme.example", "firebase_id": record.uid},
            {"email": "second@acme.example"},
        ],
    )
    with pytest.raises(KnownError, match=f"already linked to user {first}"):
        actions.link_account(engine, fb, second, uid=record.uid)
    assert user_row(engine, second)["firebase_id"] is None  # type: ignore[index]


def test_link_without_account_says_so(engine: Engine, fb: FirebaseClient) -> None:
    (user_id,) = add_users(engine, [{"email": "lonely@acme.example"}])
    with pytest.raises(actions.ActionFailed, match="No Firebase account found"):
        actions.link_account(engine, fb, user_id)


def test_disable_and_enable_in_step(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="toggle@acme.example")
    (user_id,) = add_users(engine, [{"email": "toggle@acme.example", "firebase_id": record.uid}])

    actions.set_enabled(engine, fb, user_id, enabled=False)
    assert fb.auth.get_user(record.uid).disabled is True
    assert user_row(engine, user_id)["status"] == 2  # type: ignore[index]

    actions.set_enabled(engine, fb, user_id, enabled=True)
    assert fb.auth.get_user(record.uid).disabled is False
    assert user_row(engine, user_id)["status"] == 1  # type: ignore[index]


def test_disable_keeps_deleted_status(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="del@acme.example")
    (user_id,) = add_users(
        engine, [{"email": "del@acme.example", "firebase_id": record.uid, "status": 3}]
    )
    actions.set_enabled(engine, fb, user_id, enabled=False)
    assert fb.auth.get_user(record.uid).disabled is True
    assert user_row(engine, user_id)["status"] == 3  # type: ignore[index]


def test_disable_without_account_changes_nothing(engine: Engine, fb: FirebaseClient) -> None:
    (user_id,) = add_users(engine, [{"email": "x@acme.example", "firebase_id": "missing-uid"}])
    with pytest.raises(actions.ActionFailed, match="points to no Firebase account"):
        actions.set_enabled(engine, fb, user_id, enabled=False)
    assert user_row(engine, user_id)["status"] == 1  # type: ignore[index]


def _id_token(fb: FirebaseClient, uid: str) -> str:
    """Sign in through the emulator's REST API with a custom token; return the ID token."""
    import json
    import urllib.request

    custom = fb.auth.create_custom_token(uid).decode()
    host = fb.settings.emulator_host
    request = urllib.request.Request(
        f"http://{host}/identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken"
        "?key=fake-api-key",
        data=json.dumps({"token": custom, "returnSecureToken": True}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["idToken"])


def test_sign_out_everywhere(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="out@acme.example")
    (user_id,) = add_users(
        engine,
        [{"email": "out@acme.example", "firebase_id": record.uid, "active_token_id": "jwt-1"}],
    )
    with emulator_environment(fb.settings.emulator_host):
        token = _id_token(fb, record.uid)
        assert fb.auth.verify_id_token(token, check_revoked=True)["uid"] == record.uid
    time.sleep(1.1)  # revocation has one-second granularity

    actions.sign_out_everywhere(engine, fb, user_id)

    assert user_row(engine, user_id)["active_token_id"] is None  # type: ignore[index]
    assert fb.auth.get_user(record.uid).tokens_valid_after_timestamp > 0
    with emulator_environment(fb.settings.emulator_host):
        with pytest.raises(auth.RevokedIdTokenError):
            fb.auth.verify_id_token(token, check_revoked=True)


def test_password_reset_link_is_returned_not_logged(
    engine: Engine, fb: FirebaseClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    record = fb.auth.create_user(email="reset@acme.example", password="secret12")
    (user_id,) = add_users(engine, [{"email": "reset@acme.example", "firebase_id": record.uid}])

    result = actions.password_reset_link(engine, fb, user_id)

    assert result.secret is not None
    query = urllib.parse.parse_qs(urllib.parse.urlparse(result.secret).query)
    assert query["mode"] == ["resetPassword"] and query["oobCode"][0]
    assert result.secret not in repr(result) and result.secret not in result.message
    assert query["oobCode"][0] not in caplog.text


def test_hard_delete_removes_row_and_account(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="bye@acme.example")
    (user_id,) = add_users(engine, [{"email": "bye@acme.example", "firebase_id": record.uid}])

    actions.hard_delete_user(engine, fb, user_id, delete_account=True)

    assert user_row(engine, user_id) is None
    with pytest.raises(auth.UserNotFoundError):
        fb.auth.get_user(record.uid)


def test_hard_delete_can_keep_the_account(engine: Engine, fb: FirebaseClient) -> None:
    record = fb.auth.create_user(email="keep@acme.example")
    (user_id,) = add_users(engine, [{"email": "keep@acme.example", "firebase_id": record.uid}])
    actions.hard_delete_user(engine, fb, user_id, delete_account=False)
    assert user_row(engine, user_id) is None
    assert fb.auth.get_user(record.uid).email == "keep@acme.example"


def test_database_failure_after_firebase_reports_and_retries(
    engine: Engine, fb: FirebaseClient, schema_url: str
) -> None:
    """The row's transaction fails at commit: Firebase is done, the retry links the account."""
    (user_id,) = add_users(engine, [{"email": "half@acme.example"}])
    # A deferred constraint that fails at COMMIT, after the Firebase call succeeded.
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION no_fb() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'firebase_id writes are blocked for this test'; END $$;"
            ' CREATE CONSTRAINT TRIGGER block_fb AFTER UPDATE ON "user"'
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION no_fb()"
        )

    with pytest.raises(actions.ActionFailed) as caught:
        actions.create_account(engine, fb, user_id)

    failure = caught.value
    assert failure.side == "database" and failure.firebase_changed
    assert "Firebase was updated" in failure.message and "blocked for this test" in failure.message
    accounts = list(fb.auth.list_users().iterate_all())
    assert [a.email for a in accounts] == ["half@acme.example"]
    assert user_row(engine, user_id)["firebase_id"] is None  # type: ignore[index]

    with engine.begin() as connection:
        connection.exec_driver_sql('DROP TRIGGER block_fb ON "user"')
    assert failure.retry is not None
    result = failure.retry()
    assert result.firebase_uid == accounts[0].uid
    assert user_row(engine, user_id)["firebase_id"] == accounts[0].uid  # type: ignore[index]
    assert os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") is None
