"""Account actions that change Firebase and the user's row together, or say which side failed.

Each action locks the user row, makes the Firebase call, then writes the row and commits.
If Firebase fails, the transaction is rolled back: nothing changed anywhere. If the
database fails after Firebase succeeded, `ActionFailed(side="database")` says so and its
`retry` finishes the job (every action is safe to run again).

Audit: when a hook is installed with `auditing(hook)` (the session facade does it), every
action records itself in the audit trail in the same transaction as the row change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Literal, TypeVar

from firebase_admin import auth
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import KnownError
from desktop.db import accounts as db_accounts
from desktop.db.accounts import UserLink
from desktop.db.models import UserStatus
from desktop.services.firebase.accounts import find_by_email, find_by_uid, should_be_disabled
from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.errors import FirebaseQuotaError, FirebaseUnavailable

LOCK_TIMEOUT_MS = 5_000
T = TypeVar("T")

#: (connection, user id, what was done, row before, row after or None) -> None
AuditHook = Callable[[Connection, int, str, dict[str, object], dict[str, object] | None], None]
_audit_hook: ContextVar[AuditHook | None] = ContextVar("firebase_audit_hook", default=None)


@contextmanager
def auditing(hook: AuditHook | None) -> Iterator[None]:
    """Record the actions run inside this block through `hook`."""
    token = _audit_hook.set(hook)
    try:
        yield
    finally:
        _audit_hook.reset(token)


def _row_values(user: UserLink | None) -> dict[str, object] | None:
    if user is None:
        return None
    values = asdict(user)
    values["status"] = UserStatus(user.status).name
    return values


@dataclass(frozen=True)
class ActionResult:
    """What an action did; `secret` (a password-reset link) is for the clipboard only."""

    user_id: int
    message: str
    firebase_uid: str | None = None
    secret: str | None = field(default=None, repr=False)


class ActionFailed(KnownError):
    """One side of an action failed. `retry()` runs what is needed to finish it."""

    def __init__(
        self,
        message: str,
        *,
        side: Literal["firebase", "database"],
        firebase_changed: bool,
        retry: Callable[[], ActionResult] | None,
    ) -> None:
        super().__init__(message)
        self.side = side
        self.firebase_changed = firebase_changed
        self.retry = retry


def _database_message(exc: DBAPIError) -> str:
    code = getattr(exc.orig, "pgcode", None)
    if code == "55P03":
        return "someone else is changing this user right now"
    first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return first[:300]


def _run(
    engine: Engine,
    client: FirebaseClient,
    user_id: int,
    what: str,
    firebase_step: Callable[[Connection, UserLink], T],
    db_step: Callable[[Connection, UserLink, T], None] | None,
    retry: Callable[[], ActionResult],
    retry_after_db: Callable[[T], Callable[[], ActionResult]] | None = None,
) -> tuple[UserLink, T]:
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        raise ActionFailed(
            f"Could not {what}: the database is unreachable ({_database_message(exc)}). "
            "Nothing was changed.",
            side="database",
            firebase_changed=False,
            retry=retry,
        ) from exc
    with connection:
        transaction = connection.begin()
        try:
            db_accounts.set_lock_timeout(connection, LOCK_TIMEOUT_MS)
            user = db_accounts.get(connection, user_id, lock=True)
        except DBAPIError as exc:
            transaction.rollback()
            raise ActionFailed(
                f"Could not {what}: {_database_message(exc)}. Nothing was changed.",
                side="database",
                firebase_changed=False,
                retry=retry,
            ) from exc
        if user is None:
            transaction.rollback()
            raise KnownError(f"User {user_id} no longer exists in the database.")
        try:
            outcome = firebase_step(connection, user)
        except ActionFailed:
            transaction.rollback()
            raise
        except DBAPIError as exc:
            transaction.rollback()
            raise ActionFailed(
                f"Could not {what}: {_database_message(exc)}. Nothing was changed.",
                side="database",
                firebase_changed=False,
                retry=retry,
            ) from exc
        except KnownError as exc:
            transaction.rollback()
            # Retrying helps with an outage or a quota, not with "already exists".
            transient = isinstance(exc, FirebaseUnavailable | FirebaseQuotaError)
            raise ActionFailed(
                f"Could not {what}: {exc.message} Nothing was changed in the database.",
                side="firebase",
                firebase_changed=False,
                retry=retry if transient else None,
            ) from exc
        except BaseException:
            transaction.rollback()
            raise
        try:
            if db_step is not None:
                db_step(connection, user, outcome)
            hook = _audit_hook.get()
            if hook is not None:
                after = db_accounts.get(connection, user_id)
                before_values = _row_values(user)
                assert before_values is not None
                hook(connection, user_id, what, before_values, _row_values(after))
            transaction.commit()
        except KnownError:
            if transaction.is_active:
                transaction.rollback()
            raise
        except DBAPIError as exc:
            if transaction.is_active:
                transaction.rollback()
            raise ActionFailed(
                f"Firebase was updated ({what}) but the database was not: "
                f"{_database_message(exc)}. Retry to bring the database in step.",
                side="database",
                firebase_changed=True,
                retry=retry_after_db(outcome) if retry_after_db else retry,
            ) from exc
    return user, outcome


def _existing_account(client: FirebaseClient, user: UserLink) -> str:
    """The uid of the user's account; KnownError when there is none."""
    if not user.firebase_id:
        raise KnownError(f"User {user.id} has no Firebase account: create or link one first.")
    if find_by_uid(client, user.firebase_id) is None:
        raise KnownError(
            f"User {user.id}'s firebase_id {user.firebase_id} points to no Firebase account."
        )
    return user.firebase_id


def create_account(engine: Engine, client: FirebaseClient, user_id: int) -> ActionResult:
    """Create a Firebase account with the user's email and name; store its uid."""

    def firebase_step(connection: Connection, user: UserLink) -> str:
        if user.firebase_id and find_by_uid(client, user.firebase_id) is not None:
            raise KnownError(f"User {user.id} already has Firebase account {user.firebase_id}.")
        existing = find_by_email(client, user.email)
        if existing is not None:
            raise KnownError(
                f"A Firebase account with {user.email} already exists (uid {existing.uid}): "
                "link it instead."
            )
        with client.errors(f"creating the account for {user.email}"):
            try:
                record = client.auth.create_user(
                    email=user.email,
                    display_name=user.name or None,
                    disabled=should_be_disabled(user.status),
                )
            except ValueError as exc:
                raise KnownError(f"Firebase does not accept this user's data: {exc}") from None
            except auth.EmailAlreadyExistsError:
                raise KnownError(
                    f"A Firebase account with {user.email} already exists: link it instead."
                ) from None
        return str(record.uid)

    def db_step(connection: Connection, user: UserLink, uid: str) -> None:
        db_accounts.set_firebase_id(connection, user.id, uid)

    def retry() -> ActionResult:
        return create_account(engine, client, user_id)

    def link_created(uid: str) -> Callable[[], ActionResult]:
        return lambda: link_account(engine, client, user_id, uid=uid)

    _, uid = _run(
        engine,
        client,
        user_id,
        "create the Firebase account",
        firebase_step,
        db_step,
        retry,
        link_created,
    )
    return ActionResult(user_id, f"Created Firebase account {uid} and linked it.", uid)


def link_account(
    engine: Engine, client: FirebaseClient, user_id: int, *, uid: str | None = None
) -> ActionResult:
    """Store the uid of the account with the user's email (or the given uid) in firebase_id."""

    def firebase_step(connection: Connection, user: UserLink) -> str:
        account = find_by_uid(client, uid) if uid else find_by_email(client, user.email)
        if account is None:
            target = f"uid {uid}" if uid else user.email
            raise KnownError(f"No Firebase account found for {target}.")
        return account.uid

    def db_step(connection: Connection, user: UserLink, found: str) -> None:
        others = [
            other
            for other in db_accounts.find_by_firebase_id(connection, found)
            if other != user.id
        ]
        if others:
            raise KnownError(f"Firebase account {found} is already linked to user {others[0]}.")
        db_accounts.set_firebase_id(connection, user.id, found)

    def retry() -> ActionResult:
        return link_account(engine, client, user_id, uid=uid)

    _, found = _run(
        engine, client, user_id, "link the Firebase account", firebase_step, db_step, retry
    )
    return ActionResult(user_id, f"Linked Firebase account {found}.", found)


def set_enabled(
    engine: Engine, client: FirebaseClient, user_id: int, *, enabled: bool
) -> ActionResult:
    """Enable (status Active) or disable (status Inactive) the user and the account."""
    verb = "enable" if enabled else "disable"

    def firebase_step(connection: Connection, user: UserLink) -> str:
        uid = _existing_account(client, user)
        with client.errors(f"{verb[:-1]}ing account {uid}"):
            client.auth.update_user(uid, disabled=not enabled)
        return uid

    def db_step(connection: Connection, user: UserLink, uid: str) -> None:
        if enabled:
            status = UserStatus.ACTIVE
        else:
            status = UserStatus.INACTIVE if user.status is UserStatus.ACTIVE else user.status
        db_accounts.set_status(connection, user.id, status)

    def retry() -> ActionResult:
        return set_enabled(engine, client, user_id, enabled=enabled)

    _, uid = _run(engine, client, user_id, f"{verb} the user", firebase_step, db_step, retry)
    state = "Enabled" if enabled else "Disabled"
    return ActionResult(user_id, f"{state} the user and Firebase account {uid}.", uid)


def sign_out_everywhere(engine: Engine, client: FirebaseClient, user_id: int) -> ActionResult:
    """Revoke the account's refresh tokens and clear the user's active_token_id."""

    def firebase_step(connection: Connection, user: UserLink) -> str:
        uid = _existing_account(client, user)
        with client.errors(f"revoking the sessions of {uid}"):
            client.auth.revoke_refresh_tokens(uid)
        return uid

    def db_step(connection: Connection, user: UserLink, uid: str) -> None:
        db_accounts.clear_active_token(connection, user.id)

    def retry() -> ActionResult:
        return sign_out_everywhere(engine, client, user_id)

    _, uid = _run(engine, client, user_id, "sign the user out", firebase_step, db_step, retry)
    return ActionResult(user_id, f"Signed out everywhere (account {uid}).", uid)


def password_reset_link(engine: Engine, client: FirebaseClient, user_id: int) -> ActionResult:
    """A password-reset link for the account's email. Hand it over; never log it."""

    def firebase_step(connection: Connection, user: UserLink) -> tuple[str, str]:
        uid = _existing_account(client, user)
        account = find_by_uid(client, uid)
        if account is None or not account.email:
            raise KnownError(f"Firebase account {uid} has no email address to reset.")
        with client.errors(f"generating a reset link for {account.email}"):
            try:
                return uid, str(client.auth.generate_password_reset_link(account.email))
            except auth.EmailNotFoundError:
                raise KnownError(f"Firebase has no account for {account.email}.") from None

    def retry() -> ActionResult:
        return password_reset_link(engine, client, user_id)

    _, (uid, link) = _run(
        engine, client, user_id, "generate a password-reset link", firebase_step, None, retry
    )
    return ActionResult(user_id, "Password-reset link generated.", uid, secret=link)


def hard_delete_user(
    engine: Engine, client: FirebaseClient, user_id: int, *, delete_account: bool = True
) -> ActionResult:
    """Delete the user row and, if asked, its Firebase account, together.

    For the editing work (issue 5): the row delete is prepared first, then the account is
    deleted, then the transaction commits.
    """

    def firebase_step(connection: Connection, user: UserLink) -> str | None:
        db_accounts.delete_user(connection, user.id)  # prepared; committed after Firebase
        if not delete_account or not user.firebase_id:
            return None
        with client.errors(f"deleting account {user.firebase_id}"):
            try:
                client.auth.delete_user(user.firebase_id)
            except auth.UserNotFoundError:
                pass  # already gone: nothing to do on this side
        return user.firebase_id

    def retry() -> ActionResult:
        return hard_delete_user(engine, client, user_id, delete_account=delete_account)

    _, uid = _run(engine, client, user_id, "delete the user", firebase_step, None, retry)
    if uid:
        return ActionResult(user_id, f"Deleted user {user_id} and Firebase account {uid}.", uid)
    return ActionResult(user_id, f"Deleted user {user_id} (no Firebase account deleted).")
