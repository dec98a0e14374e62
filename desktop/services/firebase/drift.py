"""The drift report: every Firebase account joined with every database user.

Accounts are listed 1,000 a page (Firebase's maximum); users are streamed from the
database. Five categories of disagreement come out, each entry naming the user id, the
email and the Firebase uid concerned. Fixing them lives in `drift_fix`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import Cancelled, ConnectionFailed
from desktop.db import accounts as db_accounts
from desktop.db.accounts import UserLink
from desktop.db.models import UserStatus
from desktop.services.firebase.accounts import same_email, should_be_disabled
from desktop.services.firebase.client import FirebaseClient

PAGE_SIZE = 1_000

#: progress(done, total or None, what): called from the worker thread.
Progress = Callable[[int, int | None, str], None]


class Category(StrEnum):
    """The kinds of drift, in the order they are shown; values are the JSON keys."""

    USERS_WITHOUT_ACCOUNT = "users_without_account"
    ACCOUNTS_WITHOUT_USER = "accounts_without_user"
    FIREBASE_ID_POINTING_NOWHERE = "firebase_id_pointing_nowhere"
    EMAIL_MISMATCHES = "email_mismatches"
    STATUS_MISMATCHES = "status_mismatches"

    @property
    def heading(self) -> str:
        return _TITLES[self]

    @property
    def fix_label(self) -> str:
        return _FIXES[self]


_TITLES = {
    Category.USERS_WITHOUT_ACCOUNT: "Users without a Firebase account",
    Category.ACCOUNTS_WITHOUT_USER: "Firebase accounts without a user",
    Category.FIREBASE_ID_POINTING_NOWHERE: "firebase_id pointing to no account",
    Category.EMAIL_MISMATCHES: "Email differs",
    Category.STATUS_MISMATCHES: "Status and disabled flag disagree",
}
_FIXES = {
    Category.USERS_WITHOUT_ACCOUNT: "link the account with the same email, or create one",
    Category.ACCOUNTS_WITHOUT_USER: "delete the Firebase account",
    Category.FIREBASE_ID_POINTING_NOWHERE: "link the account with the same email, or "
    "recreate the account under that uid",
    Category.EMAIL_MISMATCHES: "set the account's email to the database email",
    Category.STATUS_MISMATCHES: "set the account's disabled flag from the user's status",
}


@dataclass(frozen=True)
class DriftEntry:
    """One disagreement. `firebase_uid` is the account concerned (None: there is none)."""

    category: Category
    user_id: int | None
    email: str | None
    firebase_uid: str | None
    #: The user's firebase_id as seen when the report was made (to detect later changes).
    seen_firebase_id: str | None = None
    account_email: str | None = None
    user_status: UserStatus | None = None
    account_disabled: bool | None = None
    #: An unlinked account with the user's email, for users without (a real) account.
    email_match_uid: str | None = None
    user_name: str | None = None

    @property
    def detail(self) -> str:
        c = self.category
        if c is Category.USERS_WITHOUT_ACCOUNT or c is Category.FIREBASE_ID_POINTING_NOWHERE:
            if self.email_match_uid:
                return f"account {self.email_match_uid} has this email"
            return "no account has this email"
        if c is Category.ACCOUNTS_WITHOUT_USER:
            return "no user has this uid in firebase_id"
        if c is Category.EMAIL_MISMATCHES:
            return f"Firebase email is {self.account_email or '(none)'}"
        state = "disabled" if self.account_disabled else "enabled"
        status = self.user_status.label if self.user_status else "?"
        return f"user is {status}, account is {state}"

    @property
    def fix_action(self) -> str:
        """What fixing this row does, in a few words."""
        c = self.category
        if c is Category.USERS_WITHOUT_ACCOUNT or c is Category.FIREBASE_ID_POINTING_NOWHERE:
            if self.email_match_uid:
                return "link that account"
            if c is Category.USERS_WITHOUT_ACCOUNT:
                return "create an account"
            return "recreate the account under this uid"
        if c is Category.ACCOUNTS_WITHOUT_USER:
            return "delete the account"
        if c is Category.EMAIL_MISMATCHES:
            return "copy the database email to Firebase"
        return "disable the account" if not self.account_disabled else "enable the account"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": self.user_id,
            "email": self.email,
            "firebase_uid": self.firebase_uid,
        }
        if self.category is Category.EMAIL_MISMATCHES:
            data["firebase_email"] = self.account_email
        if self.category is Category.STATUS_MISMATCHES:
            data["user_status"] = self.user_status.name.lower() if self.user_status else None
            data["firebase_disabled"] = self.account_disabled
        if self.email_match_uid:
            data["account_with_same_email"] = self.email_match_uid
        return data


@dataclass(frozen=True)
class DriftReport:
    entries: dict[Category, tuple[DriftEntry, ...]]
    users_checked: int
    accounts_checked: int
    seconds: float
    where: str = ""

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.entries.values())

    def all_entries(self) -> tuple[DriftEntry, ...]:
        return tuple(entry for category in Category for entry in self.entries[category])

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        """One list per category (the CLI's output)."""
        return {c.value: [entry.to_json() for entry in self.entries[c]] for c in Category}


@dataclass(frozen=True)
class _Account:
    uid: str
    email: str | None
    disabled: bool


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("drift report cancelled")


def list_accounts(
    client: FirebaseClient,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, _Account]:
    """Every account of the project, 1,000 a page."""
    accounts: dict[str, _Account] = {}
    token: str | None = None
    while True:
        _check(cancel)
        with client.errors("listing accounts"):
            page = client.auth.list_users(page_token=token, max_results=PAGE_SIZE)
        for record in page.users:
            accounts[record.uid] = _Account(record.uid, record.email, bool(record.disabled))
        if progress is not None:
            progress(len(accounts), None, "Reading Firebase accounts")
        token = page.next_page_token or None
        if not token:
            return accounts


def load_users(engine: Engine, cancel: threading.Event | None = None) -> list[UserLink]:
    try:
        with engine.connect() as connection:
            users = []
            for user in db_accounts.all_links(connection):
                users.append(user)
                if len(users) % 5_000 == 0:
                    _check(cancel)
            return users
    except DBAPIError as exc:
        raise ConnectionFailed(f"Could not read the users from the database: {exc.orig}") from exc


def build_report(
    engine: Engine,
    client: FirebaseClient,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> DriftReport:
    """Join all accounts with all users. Raises `Cancelled` when `cancel` is set."""
    started = time.monotonic()
    if progress is not None:
        progress(0, None, "Reading database users")
    users = load_users(engine, cancel)
    accounts = list_accounts(client, progress, cancel)
    _check(cancel)
    entries = join(users, accounts)
    return DriftReport(
        entries=entries,
        users_checked=len(users),
        accounts_checked=len(accounts),
        seconds=time.monotonic() - started,
        where=client.where,
    )


def join(
    users: list[UserLink], accounts: dict[str, _Account]
) -> dict[Category, tuple[DriftEntry, ...]]:
    linked = {user.firebase_id for user in users if user.firebase_id}
    # Accounts no user points at, by email: candidates to link rather than delete.
    unlinked_by_email = {
        account.email.strip().lower(): account.uid
        for account in accounts.values()
        if account.uid not in linked and account.email
    }
    found: dict[Category, list[DriftEntry]] = {c: [] for c in Category}
    claimed: set[str] = set()
    for user in users:
        account = accounts.get(user.firebase_id) if user.firebase_id else None
        if account is None:
            match = unlinked_by_email.get(user.email.strip().lower())
            if match is not None:
                claimed.add(match)
            category = (
                Category.FIREBASE_ID_POINTING_NOWHERE
                if user.firebase_id
                else Category.USERS_WITHOUT_ACCOUNT
            )
            found[category].append(
                DriftEntry(
                    category,
                    user.id,
                    user.email,
                    user.firebase_id or match,
                    seen_firebase_id=user.firebase_id,
                    user_status=user.status,
                    email_match_uid=match,
                    user_name=user.name,
                )
            )
            continue
        if not same_email(account.email, user.email):
            found[Category.EMAIL_MISMATCHES].append(
                DriftEntry(
                    Category.EMAIL_MISMATCHES,
                    user.id,
                    user.email,
                    account.uid,
                    seen_firebase_id=user.firebase_id,
                    account_email=account.email,
                    user_name=user.name,
                )
            )
        if account.disabled != should_be_disabled(user.status):
            found[Category.STATUS_MISMATCHES].append(
                DriftEntry(
                    Category.STATUS_MISMATCHES,
                    user.id,
                    user.email,
                    account.uid,
                    seen_firebase_id=user.firebase_id,
                    user_status=user.status,
                    account_disabled=account.disabled,
                    user_name=user.name,
                )
            )
    for account in accounts.values():
        if account.uid not in linked and account.uid not in claimed:
            found[Category.ACCOUNTS_WITHOUT_USER].append(
                DriftEntry(
                    Category.ACCOUNTS_WITHOUT_USER,
                    None,
                    account.email,
                    account.uid,
                    account_email=account.email,
                    account_disabled=account.disabled,
                )
            )
    return {category: tuple(items) for category, items in found.items()}
