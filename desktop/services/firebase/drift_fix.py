"""Fixing drift entries, one or thousands, within Firebase's limits, with progress and Cancel.

Bulk work goes in batches of at most 1,000 (import_users and delete_users limits); per
account updates run on a few threads. Before anything changes, each entry's user row is
read again: a row changed since the report is skipped, not overwritten.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from firebase_admin import auth
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import KnownError
from desktop.db import accounts as db_accounts
from desktop.db.accounts import UserLink
from desktop.services.firebase.accounts import should_be_disabled
from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.drift import Category, DriftEntry, Progress
from desktop.services.firebase.errors import (
    FirebaseCredentialsError,
    FirebaseQuotaError,
    FirebaseUnavailable,
)

BATCH = 1_000  # Firebase: import_users and delete_users take at most 1,000 a call
UPDATE_THREADS = 4
_UID_ALPHABET = string.ascii_letters + string.digits
_STOPPERS = (FirebaseUnavailable, FirebaseQuotaError, FirebaseCredentialsError)


@dataclass
class FixSummary:
    """What a fix run did. `failed` pairs an entry with the reason, for people."""

    fixed: list[DriftEntry] = field(default_factory=list)
    failed: list[tuple[DriftEntry, str]] = field(default_factory=list)
    cancelled: bool = False
    stopped: str | None = None
    seconds: float = 0.0

    @property
    def message(self) -> str:
        parts = [f"{len(self.fixed):,} fixed"]
        if self.failed:
            parts.append(f"{len(self.failed):,} not fixed")
        if self.cancelled:
            parts.append("cancelled")
        text = ", ".join(parts) + "."
        if self.stopped:
            text += f" Stopped: {self.stopped}"
        return text


def new_uid() -> str:
    """A uid shaped like Firebase's own (28 letters and digits)."""
    return "".join(secrets.choice(_UID_ALPHABET) for _ in range(28))


class _Run:
    def __init__(
        self,
        engine: Engine,
        client: FirebaseClient,
        total: int,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.total = total
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.summary = FixSummary()
        self._lock = threading.Lock()

    @property
    def done(self) -> int:
        return len(self.summary.fixed) + len(self.summary.failed)

    def halted(self) -> bool:
        return self.cancel.is_set() or self.summary.stopped is not None

    def ok(self, entries: Sequence[DriftEntry]) -> None:
        if not entries:
            return
        with self._lock:
            self.summary.fixed.extend(entries)
        self._report()

    def fail(self, entries: Sequence[DriftEntry], reason: str, *, report: bool = True) -> None:
        if not entries:
            return
        with self._lock:
            self.summary.failed.extend((entry, reason) for entry in entries)
        if report:
            self._report()

    def error(self, entries: Sequence[DriftEntry], exc: KnownError) -> None:
        if isinstance(exc, _STOPPERS):
            with self._lock:
                self.summary.stopped = exc.message
        self.fail(entries, exc.message)

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total, "Fixing")


def _unchanged(entry: DriftEntry, user: UserLink | None) -> bool:
    if user is None:
        return False
    if user.firebase_id != entry.seen_firebase_id:
        return False
    if entry.category is Category.STATUS_MISMATCHES:
        return user.status == entry.user_status
    if entry.category is Category.EMAIL_MISMATCHES:
        return user.email == entry.email
    return True


def fix(
    engine: Engine,
    client: FirebaseClient,
    entries: Sequence[DriftEntry],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> FixSummary:
    """Fix `entries` (any mix of categories); returns what was fixed and what was not."""
    started = time.monotonic()
    run = _Run(engine, client, len(entries), progress, cancel)
    by_user = [entry for entry in entries if entry.user_id is not None]
    try:
        with engine.connect() as connection:
            current = db_accounts.get_many(connection, [e.user_id for e in by_user if e.user_id])
    except DBAPIError as exc:
        run.fail(list(entries), f"the database is unreachable: {exc.orig}")
        run.summary.stopped = "the database is unreachable"
        run.summary.seconds = time.monotonic() - started
        return run.summary
    fresh: list[DriftEntry] = []
    for entry in entries:
        if entry.user_id is not None and not _unchanged(entry, current.get(entry.user_id)):
            run.fail([entry], "the user changed since the report: run the report again")
        else:
            fresh.append(entry)

    links: list[DriftEntry] = []
    creates: list[DriftEntry] = []
    deletes: list[DriftEntry] = []
    emails: list[DriftEntry] = []
    statuses: list[DriftEntry] = []
    for entry in fresh:
        if entry.category in (
            Category.USERS_WITHOUT_ACCOUNT,
            Category.FIREBASE_ID_POINTING_NOWHERE,
        ):
            (links if entry.email_match_uid else creates).append(entry)
        elif entry.category is Category.ACCOUNTS_WITHOUT_USER:
            deletes.append(entry)
        elif entry.category is Category.EMAIL_MISMATCHES:
            emails.append(entry)
        else:
            statuses.append(entry)

    _link(run, links)
    _create(run, creates, current)
    _delete(run, deletes)
    _update(run, emails, lambda e: {"email": e.email}, "setting the email of")
    _update(
        run,
        statuses,
        lambda e: (
            {"disabled": should_be_disabled(current[e.user_id].status)}
            if e.user_id is not None
            else {}
        ),
        "setting the disabled flag of",
    )
    handled = {id(e) for e in run.summary.fixed} | {id(e) for e, _ in run.summary.failed}
    remaining = [e for e in fresh if id(e) not in handled]
    if remaining:
        run.summary.cancelled = run.cancel.is_set()
        reason = "cancelled" if run.summary.cancelled else (run.summary.stopped or "not run")
        run.fail(remaining, reason, report=False)
    run.summary.seconds = time.monotonic() - started
    return run.summary


def _batches(items: Sequence[DriftEntry]) -> list[Sequence[DriftEntry]]:
    return [items[start : start + BATCH] for start in range(0, len(items), BATCH)]


def _set_ids(run: _Run, batch: Sequence[DriftEntry], new_ids: dict[int, str]) -> None:
    """Store firebase_id for the batch's users (only where it is still the one seen)."""
    pairs = [
        (entry.user_id, entry.seen_firebase_id, new_ids[entry.user_id])
        for entry in batch
        if entry.user_id is not None and entry.user_id in new_ids
    ]
    try:
        with run.engine.begin() as connection:
            updated = db_accounts.set_firebase_ids(connection, pairs)
    except DBAPIError as exc:
        run.fail(batch, f"Firebase is done but the database was not updated: {exc.orig}")
        return
    run.ok([e for e in batch if e.user_id in updated])
    run.fail(
        [e for e in batch if e.user_id not in updated],
        "the user changed since the report: run the report again",
    )


def _link(run: _Run, entries: Sequence[DriftEntry]) -> None:
    for batch in _batches(entries):
        if run.halted():
            return
        _set_ids(
            run,
            batch,
            {e.user_id: e.email_match_uid for e in batch if e.user_id and e.email_match_uid},
        )


def _create(run: _Run, entries: Sequence[DriftEntry], users: dict[int, UserLink]) -> None:
    """import_users, 1,000 a call; users without firebase_id then get the new uids."""
    for batch in _batches(entries):
        if run.halted():
            return
        uids: dict[int, str] = {}
        records = []
        for entry in batch:
            assert entry.user_id is not None
            user = users[entry.user_id]
            uid = entry.seen_firebase_id or new_uid()
            uids[entry.user_id] = uid
            records.append(
                auth.ImportUserRecord(
                    uid=uid,
                    email=user.email,
                    display_name=user.name or None,
                    disabled=should_be_disabled(user.status),
                )
            )
        try:
            with run.client.errors(f"creating {len(records)} accounts"):
                result = run.client.auth.import_users(records)
        except KnownError as exc:
            run.error(batch, exc)
            continue
        except ValueError as exc:
            run.fail(batch, f"Firebase does not accept this data: {exc}")
            continue
        bad = {error.index: error.reason for error in result.errors}
        for index, reason in bad.items():
            run.fail([batch[index]], f"Firebase refused the account: {reason}")
        created = [entry for index, entry in enumerate(batch) if index not in bad]
        recreated = [e for e in created if e.seen_firebase_id]
        run.ok(recreated)  # same uid as before: the row needs no change
        new = [e for e in created if not e.seen_firebase_id]
        if new:
            _set_ids(run, new, uids)


def _delete(run: _Run, entries: Sequence[DriftEntry]) -> None:
    """delete_users, 1,000 a call; an account some user links to meanwhile is kept."""
    for batch in _batches(entries):
        if run.halted():
            return
        try:
            with run.engine.connect() as connection:
                now_linked = {
                    e.firebase_uid
                    for e in batch
                    if e.firebase_uid
                    and db_accounts.find_by_firebase_id(connection, e.firebase_uid)
                }
        except DBAPIError as exc:
            run.fail(batch, f"the database is unreachable: {exc.orig}")
            continue
        keep = [e for e in batch if e.firebase_uid in now_linked]
        run.fail(keep, "a user links to this account now: run the report again")
        targets = [e for e in batch if e.firebase_uid not in now_linked and e.firebase_uid]
        if not targets:
            continue
        try:
            with run.client.errors(f"deleting {len(targets)} accounts"):
                result = run.client.auth.delete_users([e.firebase_uid for e in targets])
        except KnownError as exc:
            run.error(targets, exc)
            continue
        bad = {error.index: error.reason for error in result.errors}
        for index, reason in bad.items():
            run.fail([targets[index]], f"Firebase refused: {reason}")
        run.ok([e for index, e in enumerate(targets) if index not in bad])


def _update(
    run: _Run,
    entries: Sequence[DriftEntry],
    changes: Callable[[DriftEntry], dict[str, object]],
    doing: str,
) -> None:
    """update_user per account on a few threads; stops early on cancel or outage."""
    if not entries:
        return

    def one(entry: DriftEntry) -> None:
        if run.halted() or not entry.firebase_uid:
            return
        try:
            with run.client.errors(f"{doing} {entry.firebase_uid}"):
                try:
                    run.client.auth.update_user(entry.firebase_uid, **changes(entry))
                except auth.UserNotFoundError:
                    raise KnownError("the account no longer exists") from None
                except auth.EmailAlreadyExistsError:
                    raise KnownError(
                        f"another Firebase account already has {entry.email}"
                    ) from None
                except ValueError as exc:
                    raise KnownError(f"Firebase does not accept this value: {exc}") from None
        except KnownError as exc:
            run.error([entry], exc)
            return
        run.ok([entry])

    with ThreadPoolExecutor(UPDATE_THREADS, thread_name_prefix="firebase-fix") as pool:
        list(pool.map(one, entries))


def fix_one(engine: Engine, client: FirebaseClient, entry: DriftEntry) -> FixSummary:
    """Fix a single row of the report."""
    return fix(engine, client, [entry])
