"""Every write action on a read-only profile is refused up front: no write reaches
PostgreSQL (not even one the server would refuse), and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, text
from test_audit_shape import ACTIONS

from desktop.core.errors import KnownError
from desktop.services.database import Database, open_database
from desktop.services.writes import Actor

READS = ("SELECT", "SHOW", "SET ", "BEGIN", "COMMIT", "ROLLBACK", "RESET")


@pytest.fixture
def read_only(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    yield db
    db.dispose()


def _fingerprint(db: Database) -> tuple[object, ...]:
    with db.engine.connect() as c:
        return tuple(
            c.execute(
                text(f"SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM {t}")
            ).scalar_one()
            for t in ('"user"', "organization", "plugin", "tenantry_audit")
        )


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_read_only_profile_refuses_before_postgresql(
    name: str, read_only: Database, actor: Actor
) -> None:
    before = _fingerprint(read_only)
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement.strip())

    event.listen(read_only.engine, "before_cursor_execute", record)
    try:
        with pytest.raises(KnownError) as refused:
            ACTIONS[name](read_only, actor)
    finally:
        event.remove(read_only.engine, "before_cursor_execute", record)
    assert "read-only profile" in refused.value.message  # the app's reason, not the server's
    writes = [s for s in sent if not s.upper().startswith(READS)]
    assert writes == [], f"{name} sent writes to a read-only database: {writes}"
    assert _fingerprint(read_only) == before
