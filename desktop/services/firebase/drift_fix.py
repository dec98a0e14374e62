"""Fixing drift entries, one or thousands, within Firebase's limits, with progress and Cancel.

Bulk work goes in batches of at most 1,000 (import_users and delete_users limits); per
account updates run on a few threads. Before anything changes, each entry's user row is
read again: a row changed since the report is skipped, not overwritten.

Faults: every fix is safe to run again. Before creating accounts, the batch's uids and
emails are looked up in Firebase: an account that exists (made by an earlier run whose
answer was lost, say) is linked, never duplicated. The summary says for every entry what
happened on each side: done on both, done in Firebase but not recorded in the database
(with the uid, so a re-run links it), maybe done (Firebase did not answer), or not done.
A database failure stops the run before the next Firebase call; so does an outage of
Firebase. Read-only sessions are refused before anything is sent to Firebase. Database
changes are audited in their own transaction through the session's audit hook.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from firebase_admin import auth
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from desktop.core.errors import KnownError
from desktop.db import accounts as db_accounts
from desktop.db.accounts import UserLink
from desktop.db.errors import ReadOnlyViolation
from desktop.services.database import session_read_only
from desktop.services.firebase.accounts import should_be_disabled
from desktop.services.firebase.actions import AuditHook
from desktop.services.firebase.client import FirebaseClient
from desktop.services.firebase.drift import Category, DriftEntry, Progress
from desktop.services.firebase.errors import (
    FirebaseCredentialsError,
    FirebaseQuotaError,
    FirebaseUnavailable,
)

BATCH = 1_000  # Firebase: import_users and delete_users take at most 1,000 a call
LOOKUP_BATCH = 100  # Firebase: get_users takes at most 100 identifiers a call
UPDATE_THREADS = 4
_UID_ALPHABET = string.ascii_letters + string.digits
_STOPPERS = (FirebaseUnavailable, FirebaseQuotaError, FirebaseCredentialsError)
CHANGED = "the user changed since the report: run the report again"


@dataclass(frozen=True)
class Pending:
    """An entry whose outcome needs a re-run: `uid` is the account concerned, if known."""

    entry: DriftEntry
    uid: str | None
    reason: str


@dataclass
class FixSummary:
    """What a fix run did, per entry and per side.

    - `fixed`: done on both sides (or nothing was needed any more);
    - `unrecorded`: done in Firebase, but the database was not updated (`uid` is the
      account: a re-run links it);
    - `unconfirmed`: Firebase did not answer: it may or may not have done it (a re-run
      looks the accounts up first, so nothing is duplicated);
    - `failed`: not done on either side, with the reason, for people.
    """

    fixed: list[DriftEntry] = field(default_factory=list)
    failed: list[tuple[DriftEntry, str]] = field(default_factory=list)
    unrecorded: list[Pending] = field(default_factory=list)
    unconfirmed: list[Pending] = field(default_factory=list)
    cancelled: bool = False
    stopped: str | None = None
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return len(self.fixed) + len(self.failed) + len(self.unrecorded) + len(self.unconfirmed)

    @property
    def message(self) -> str:
        parts = [f"{len(self.fixed):,} fixed"]
        if self.unrecorded:
            parts.append(
                f"{len(self.unrecorded):,} done in Firebase but not recorded in the database "
                "(fix again to link them)"
            )
        if self.unconfirmed:
            parts.append(
                f"{len(self.unconfirmed):,} sent to Firebase without an answer (fix again: "
                "existing accounts are linked, not duplicated)"
            )
        if self.failed:
            parts.append(f"{len(self.failed):,} not fixed")
        if self.cancelled:
            parts.append("cancelled")
        text = ", ".join(parts) + "."
        if self.stopped:
            text += f" Stopped: {self.stopped}"
        return text

    def retry_entries(self) -> list[DriftEntry]:
        """The entries to fix again: accounts made but not recorded become links."""
        again = [
            replace(p.entry, firebase_uid=p.uid, email_match_uid=p.uid) for p in self.unrecorded
        ]
        again += [p.entry for p in self.unconfirmed]
        again += [entry for entry, _ in self.failed]
        return again


def new_uid() -> str:
    """A uid shaped like Firebase's own (28 letters and digits)."""
    return "".join(secrets.choice(_UID_ALPHABET) for _ in range(28))


def _db_reason(exc: BaseException) -> str:
    """A database failure in a line (engines with desktop.db.errors raise KnownError)."""
    if isinstance(exc, KnownError):
        return exc.message
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


class _DatabaseFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Run:
    def __init__(
        self,
        engine: Engine,
        client: FirebaseClient,
        total: int,
        progress: Progress | None,
        cancel: threading.Event | None,
        audit: AuditHook | None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.total = total
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.audit = audit
        self.summary = FixSummary()
        self._lock = threading.Lock()

    def halted(self) -> bool:
        return self.cancel.is_set() or self.summary.stopped is not None

    def stop(self, reason: str) -> None:
        with self._lock:
            if self.summary.stopped is None:
                self.summary.stopped = reason

    @contextmanager
    def database(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection (a transaction with `write`); any failure is `_DatabaseFailed`
        and stops the run, so no Firebase call follows a database that is gone."""
        try:
            if write:
                with self.engine.begin() as connection:
                    yield connection
            else:
                with self.engine.connect() as connection:
                    yield connection
        except (DBAPIError, KnownError) as exc:
            reason = _db_reason(exc)
            self.stop(f"the database failed: {reason}")
            raise _DatabaseFailed(reason) from exc

    def ok(self, entries: Sequence[DriftEntry]) -> None:
        if entries:
            with self._lock:
                self.summary.fixed.extend(entries)
            self._report()

    def fail(self, entries: Sequence[DriftEntry], reason: str, *, report: bool = True) -> None:
        if entries:
            with self._lock:
                self.summary.failed.extend((entry, reason) for entry in entries)
            if report:
                self._report()

    def unrecorded(self, made: Sequence[tuple[DriftEntry, str]], reason: str) -> None:
        if made:
            with self._lock:
                self.summary.unrecorded.extend(Pending(e, uid, reason) for e, uid in made)
            self._report()

    def error(
        self,
        entries: Sequence[DriftEntry],
        exc: KnownError,
        uids: dict[int, str] | None = None,
    ) -> None:
        """Firebase failed for `entries`: not done, or maybe done when it did not answer."""
        if isinstance(exc, _STOPPERS):
            self.stop(exc.message)
        if isinstance(exc, FirebaseUnavailable) and exc.may_have_run:
            with self._lock:
                self.summary.unconfirmed.extend(
                    Pending(e, (uids or {}).get(id(e), e.firebase_uid), exc.message)
                    for e in entries
                )
            self._report()
            return
        self.fail(entries, exc.message)

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.summary.done, self.total, "Fixing")


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
    *,
    audit: AuditHook | None = None,
) -> FixSummary:
    """Fix `entries` (any mix of categories); returns what happened to each, on each side.

    Raises `ReadOnlyViolation` (before any Firebase call) when the session is read-only;
    every other failure ends up in the summary.
    """
    started = time.monotonic()
    run = _Run(engine, client, len(entries), progress, cancel, audit)
    by_user = [entry.user_id for entry in entries if entry.user_id is not None]
    try:
        with run.database() as connection:
            read_only = session_read_only(connection)
            current = {} if read_only else db_accounts.get_many(connection, by_user)
    except _DatabaseFailed as exc:
        run.summary.failed = [(e, f"the database is unreachable: {exc.reason}") for e in entries]
        run.summary.seconds = time.monotonic() - started
        return run.summary
    if read_only:
        raise ReadOnlyViolation(
            "This session is read-only: drift fixes change the database, so none was "
            "started and Firebase was not changed."
        )
    fresh: list[DriftEntry] = []
    for entry in entries:
        if entry.user_id is not None and not _unchanged(entry, current.get(entry.user_id)):
            run.fail([entry], CHANGED)
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
    summary = run.summary
    handled = (
        {id(e) for e in summary.fixed}
        | {id(e) for e, _ in summary.failed}
        | {id(p.entry) for p in (*summary.unrecorded, *summary.unconfirmed)}
    )
    remaining = [e for e in fresh if id(e) not in handled]
    if remaining:
        summary.cancelled = run.cancel.is_set()
        reason = "cancelled" if summary.cancelled else (summary.stopped or "not run")
        run.fail(remaining, f"not attempted: {reason}", report=False)
    summary.seconds = time.monotonic() - started
    return summary


def _batches(items: Sequence[DriftEntry]) -> list[Sequence[DriftEntry]]:
    return [items[start : start + BATCH] for start in range(0, len(items), BATCH)]


def _set_ids(
    run: _Run,
    targets: Sequence[tuple[DriftEntry, str]],
    made_in_firebase: bool,
) -> None:
    """Store firebase_id for the entries' users (only where it is still the one seen), and
    audit each change, in one transaction. `made_in_firebase`: the accounts were just
    created, so a database failure leaves them done in Firebase but unrecorded."""
    if not targets:
        return
    what = (
        "drift fix: create the Firebase account"
        if made_in_firebase
        else ("drift fix: link the Firebase account")
    )
    pairs = [(e.user_id, e.seen_firebase_id, uid) for e, uid in targets if e.user_id is not None]
    try:
        with run.database(write=True) as connection:
            updated = db_accounts.set_firebase_ids(connection, pairs)
            if run.audit is not None:
                for entry, uid in targets:
                    if entry.user_id in updated:
                        run.audit(
                            connection,
                            entry.user_id,
                            what,
                            {"firebase_id": entry.seen_firebase_id, "email": entry.email},
                            {"firebase_id": uid, "email": entry.email},
                        )
    except _DatabaseFailed as exc:
        if made_in_firebase:
            run.unrecorded(
                targets, f"Firebase is done but the database was not updated: {exc.reason}"
            )
        else:
            run.fail([e for e, _ in targets], f"the database was not updated: {exc.reason}")
        return
    run.ok([e for e, _ in targets if e.user_id in updated])
    left = [e for e, _ in targets if e.user_id not in updated]
    if made_in_firebase:
        run.unrecorded(
            [(e, uid) for e, uid in targets if e.user_id not in updated],
            f"account created, but {CHANGED}",
        )
    else:
        run.fail(left, CHANGED)


def _link(run: _Run, entries: Sequence[DriftEntry]) -> None:
    """Database only: firebase_id := the unlinked account with the user's email."""
    for batch in _batches(entries):
        if run.halted():
            return
        uids = [e.email_match_uid for e in batch if e.email_match_uid]
        try:
            with run.database() as connection:
                linked = db_accounts.linked_to(connection, uids)
        except _DatabaseFailed as exc:
            run.fail(batch, f"the database is unreachable: {exc.reason}")
            return
        taken = [e for e in batch if e.email_match_uid in linked]
        for entry in taken:
            assert entry.email_match_uid is not None
            run.fail(
                [entry],
                f"account {entry.email_match_uid} is linked to user "
                f"{linked[entry.email_match_uid]} now: run the report again",
            )
        _set_ids(
            run,
            [(e, e.email_match_uid) for e in batch if e.email_match_uid and e not in taken],
            made_in_firebase=False,
        )


def _existing_accounts(
    client: FirebaseClient, uids: Sequence[str], emails: Sequence[str]
) -> tuple[set[str], dict[str, str]]:
    """(uids that exist, lowercased email -> uid) among these, 100 identifiers a call."""
    identifiers: list[auth.UserIdentifier] = [auth.UidIdentifier(uid) for uid in uids]
    identifiers += [auth.EmailIdentifier(email) for email in emails]
    found_uids: set[str] = set()
    by_email: dict[str, str] = {}
    wanted = set(uids)
    for start in range(0, len(identifiers), LOOKUP_BATCH):
        chunk = identifiers[start : start + LOOKUP_BATCH]
        with client.errors(f"looking up {len(chunk)} accounts"):
            result = client.auth.get_users(chunk)
        for record in result.users:
            if record.uid in wanted:
                found_uids.add(record.uid)
            if record.email:
                by_email.setdefault(record.email.strip().lower(), record.uid)
    return found_uids, by_email


def _create(run: _Run, entries: Sequence[DriftEntry], users: dict[int, UserLink]) -> None:
    """Per batch: look the accounts up (by uid, by email); existing ones are linked, the
    rest imported (import_users, 1,000 a call), then their uids stored."""
    for batch in _batches(entries):
        if run.halted():
            return
        seen_uids = [e.seen_firebase_id for e in batch if e.seen_firebase_id]
        emails = [users[e.user_id].email for e in batch if e.user_id is not None]
        try:
            exists, by_email = _existing_accounts(run.client, seen_uids, emails)
        except KnownError as exc:
            run.fail(batch, f"not attempted: {exc.message}")
            if isinstance(exc, _STOPPERS):
                run.stop(exc.message)
            return
        except ValueError as exc:
            run.fail(batch, f"Firebase does not accept this data: {exc}")
            continue
        try:
            with run.database() as connection:
                linked = db_accounts.linked_to(connection, by_email.values())
        except _DatabaseFailed as exc:
            run.fail(batch, f"the database is unreachable: {exc.reason}")
            return

        already: list[DriftEntry] = []
        to_link: list[tuple[DriftEntry, str]] = []
        to_import: list[DriftEntry] = []
        for entry in batch:
            assert entry.user_id is not None
            user = users[entry.user_id]
            match = by_email.get(user.email.strip().lower())
            if entry.seen_firebase_id and entry.seen_firebase_id in exists:
                already.append(entry)  # recreated by an earlier run: the row is right
            elif match is not None and linked.get(match, entry.user_id) != entry.user_id:
                run.fail(
                    [entry],
                    f"Firebase account {match} has this email and is linked to user "
                    f"{linked[match]}",
                )
            elif match is not None:
                to_link.append((entry, match))  # made by an earlier run, or by someone
            else:
                to_import.append(entry)
        run.ok(already)
        _set_ids(run, to_link, made_in_firebase=False)
        if not to_import or run.halted():
            continue

        uids: dict[int, str] = {}
        records = []
        for entry in to_import:
            assert entry.user_id is not None
            user = users[entry.user_id]
            uid = entry.seen_firebase_id or new_uid()
            uids[id(entry)] = uid
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
            run.error(to_import, exc, uids)
            continue
        except ValueError as exc:
            run.fail(to_import, f"Firebase does not accept this data: {exc}")
            continue
        bad = {error.index: error.reason for error in result.errors}
        for index, reason in bad.items():
            run.fail([to_import[index]], f"Firebase refused the account: {reason}")
        created = [entry for index, entry in enumerate(to_import) if index not in bad]
        run.ok([e for e in created if e.seen_firebase_id])  # same uid: the row is right
        _set_ids(
            run,
            [(e, uids[id(e)]) for e in created if not e.seen_firebase_id],
            made_in_firebase=True,
        )


def _delete(run: _Run, entries: Sequence[DriftEntry]) -> None:
    """delete_users, 1,000 a call; an account some user links to meanwhile is kept."""
    for batch in _batches(entries):
        if run.halted():
            return
        try:
            with run.database() as connection:
                now_linked = db_accounts.linked_to(
                    connection, [e.firebase_uid for e in batch if e.firebase_uid]
                )
        except _DatabaseFailed as exc:
            run.fail(batch, f"the database is unreachable: {exc.reason}")
            return
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


def fix_one(
    engine: Engine, client: FirebaseClient, entry: DriftEntry, *, audit: AuditHook | None = None
) -> FixSummary:
    """Fix a single row of the report."""
    return fix(engine, client, [entry], audit=audit)
