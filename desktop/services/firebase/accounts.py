"""What Firebase knows about one user's sign-in account, as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from firebase_admin import auth
from sqlalchemy.engine import Engine

from desktop.core.errors import KnownError
from desktop.db import accounts as db_accounts
from desktop.db.accounts import UserLink
from desktop.db.models import UserStatus
from desktop.services.firebase.client import FirebaseClient


@dataclass(frozen=True)
class AccountInfo:
    """A Firebase Authentication account."""

    uid: str
    email: str | None
    email_verified: bool
    disabled: bool
    providers: tuple[str, ...]
    created: datetime | None
    last_sign_in: datetime | None
    tokens_valid_after: datetime | None
    display_name: str | None
    custom_claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class UserAccount:
    """A database user next to its Firebase account (if any) and what disagrees."""

    user: UserLink
    account: AccountInfo | None
    #: An account with the user's email that is not the one in firebase_id (a link candidate).
    email_match: AccountInfo | None
    problems: tuple[str, ...]

    @property
    def exists(self) -> bool:
        return self.account is not None


def _time(milliseconds: int | None) -> datetime | None:
    if not milliseconds:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def account_info(record: auth.UserRecord) -> AccountInfo:
    metadata = record.user_metadata
    return AccountInfo(
        uid=record.uid,
        email=record.email,
        email_verified=bool(record.email_verified),
        disabled=bool(record.disabled),
        providers=tuple(sorted({info.provider_id for info in record.provider_data})),
        created=_time(metadata.creation_timestamp if metadata else None),
        last_sign_in=_time(metadata.last_sign_in_timestamp if metadata else None),
        tokens_valid_after=_time(record.tokens_valid_after_timestamp),
        display_name=record.display_name,
        custom_claims=MappingProxyType(dict(record.custom_claims or {})),
    )


def should_be_disabled(status: UserStatus) -> bool:
    """Only active users may sign in."""
    return status is not UserStatus.ACTIVE


def same_email(a: str | None, b: str | None) -> bool:
    """Firebase treats emails case-insensitively."""
    return (a or "").strip().lower() == (b or "").strip().lower()


def find_by_uid(client: FirebaseClient, uid: str) -> AccountInfo | None:
    with client.errors(f"reading account {uid}"):
        try:
            return account_info(client.auth.get_user(uid))
        except auth.UserNotFoundError:
            return None


def find_by_email(client: FirebaseClient, email: str) -> AccountInfo | None:
    with client.errors(f"looking up {email}"):
        try:
            return account_info(client.auth.get_user_by_email(email))
        except auth.UserNotFoundError:
            return None
        except ValueError:
            return None  # not an address Firebase accepts: no account can have it


def load_user(engine: Engine, user_id: int) -> UserLink:
    with engine.connect() as connection:
        user = db_accounts.get(connection, user_id)
    if user is None:
        raise KnownError(f"User {user_id} no longer exists in the database.")
    return user


def problems(
    user: UserLink, account: AccountInfo | None, email_match: AccountInfo | None
) -> tuple[str, ...]:
    found: list[str] = []
    if account is None:
        if user.firebase_id:
            found.append(f"firebase_id {user.firebase_id} points to no Firebase account.")
        else:
            found.append("The user has no Firebase account (firebase_id is empty).")
        if email_match is not None:
            found.append(f"An account with this email exists (uid {email_match.uid}): link it.")
        return tuple(found)
    if not same_email(account.email, user.email):
        found.append(f"Email differs: database {user.email}, Firebase {account.email or '(none)'}.")
    if account.disabled != should_be_disabled(user.status):
        state = "disabled" if account.disabled else "enabled"
        found.append(f"The account is {state} but the user is {user.status.label}.")
    return tuple(found)


def load_user_account(engine: Engine, client: FirebaseClient, user_id: int) -> UserAccount:
    """The panel's data: the database row, then the account by uid (or a match by email)."""
    user = load_user(engine, user_id)
    account = find_by_uid(client, user.firebase_id) if user.firebase_id else None
    email_match = None
    if account is None:
        email_match = find_by_email(client, user.email)
    return UserAccount(
        user=user,
        account=account,
        email_match=email_match,
        problems=problems(user, account, email_match),
    )
