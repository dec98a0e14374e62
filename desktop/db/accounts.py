"""The columns of `user` that tie a row to its Firebase account: reads and small writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Connection

from desktop.db.models import User, UserStatus


@dataclass(frozen=True)
class UserLink:
    """A user row as the Firebase side needs it."""

    id: int
    name: str
    email: str
    status: UserStatus
    is_system: bool
    firebase_id: str | None
    active_token_id: str | None


_COLUMNS = (
    User.id,
    User.name,
    User.email,
    User.status,
    User.is_system,
    User.firebase_id,
    User.active_token_id,
)


def get(connection: Connection, user_id: int, *, lock: bool = False) -> UserLink | None:
    """One user; with `lock`, the row is locked until the transaction ends."""
    query = select(*_COLUMNS).where(User.id == user_id)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).one_or_none()
    return None if row is None else UserLink(*row)


def get_many(connection: Connection, user_ids: Sequence[int]) -> dict[int, UserLink]:
    if not user_ids:
        return {}
    rows = connection.execute(select(*_COLUMNS).where(User.id.in_(list(user_ids))))
    return {row[0]: UserLink(*row) for row in rows}


def set_lock_timeout(connection: Connection, milliseconds: int) -> None:
    """Wait at most this long for a row someone else is changing (this transaction only)."""
    connection.execute(text(f"SET LOCAL lock_timeout = {int(milliseconds)}"))


def all_links(connection: Connection, batch: int = 5_000) -> Iterator[UserLink]:
    """Every user, in id order, streamed from the server."""
    result = connection.execution_options(yield_per=batch).execute(
        select(*_COLUMNS).order_by(User.id)
    )
    for row in result:
        yield UserLink(*row)


def count(connection: Connection) -> int:
    return int(connection.execute(text('SELECT count(*) FROM "user"')).scalar_one())


def set_firebase_id(connection: Connection, user_id: int, firebase_id: str | None) -> None:
    connection.execute(update(User).where(User.id == user_id).values(firebase_id=firebase_id))


def set_firebase_ids(
    connection: Connection, pairs: Iterable[tuple[int, str | None, str | None]]
) -> set[int]:
    """Set firebase_id per (user id, seen firebase_id, new firebase_id); skip changed rows.

    Returns the ids updated: a row whose firebase_id is no longer the one seen was changed
    by someone else meanwhile and is left alone.
    """
    rows = list(pairs)
    updated: set[int] = set()
    statement = text(
        'UPDATE "user" AS u SET firebase_id = v.new '
        "FROM unnest(CAST(:ids AS bigint[]), CAST(:seen AS text[]), CAST(:new AS text[])) "
        "AS v(id, seen, new) "
        "WHERE u.id = v.id AND u.firebase_id IS NOT DISTINCT FROM v.seen RETURNING u.id"
    )
    for start in range(0, len(rows), 1_000):
        chunk = rows[start : start + 1_000]
        result = connection.execute(
            statement,
            {
                "ids": [row[0] for row in chunk],
                "seen": [row[1] for row in chunk],
                "new": [row[2] for row in chunk],
            },
        )
        updated.update(int(row[0]) for row in result)
    return updated


def set_status(connection: Connection, user_id: int, status: UserStatus) -> None:
    connection.execute(update(User).where(User.id == user_id).values(status=status))


def clear_active_token(connection: Connection, user_id: int) -> None:
    connection.execute(update(User).where(User.id == user_id).values(active_token_id=None))


def delete_user(connection: Connection, user_id: int) -> bool:
    return bool(connection.execute(delete(User).where(User.id == user_id)).rowcount)


def find_by_firebase_id(connection: Connection, firebase_id: str) -> list[int]:
    rows = connection.execute(select(User.id).where(User.firebase_id == firebase_id))
    return [int(row[0]) for row in rows]


def linked_to(connection: Connection, firebase_ids: Iterable[str]) -> dict[str, int]:
    """Which of these uids some user's firebase_id names: uid -> user id (one query)."""
    uids = sorted(set(firebase_ids))
    if not uids:
        return {}
    rows = connection.execute(
        select(User.firebase_id, User.id).where(User.firebase_id.in_(uids)).order_by(User.id)
    )
    found: dict[str, int] = {}
    for uid, user_id in rows:
        found.setdefault(str(uid), int(user_id))
    return found
