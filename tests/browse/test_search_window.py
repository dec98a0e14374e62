"""A searched window read in two steps (a bounded walk of the sort index, then the trigram
indexes) holds exactly the rows the plain window query returns, in the same order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from desktop.core.view_state import ViewState
from desktop.db import queries
from desktop.services import search_window
from desktop.services.browse import fetch_window

LIMIT = 7


def plain(connection: Connection, state: ViewState, **where: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in connection.execute(queries.window(state, limit=LIMIT, **where))]


def two_steps(connection: Connection, state: ViewState, **where: Any) -> list[tuple[Any, ...]]:
    where = {"key": None, "backwards": False, "inclusive": False, **where}
    return search_window.fetch(connection, state, limit=LIMIT, **where)


def key_of(row: tuple[Any, ...]) -> tuple[Any, int]:
    return (row[-1], int(row[0]))


def rare_term(connection: Connection) -> str:
    """One user's email local part: a term one or two users match."""
    return str(
        connection.execute(
            text("SELECT split_part(email, '@', 1) FROM \"user\" ORDER BY id OFFSET 1500 LIMIT 1")
        ).scalar_one()
    )


STATES = [
    # Frequent terms (filled by the walk), rare ones (the trigram indexes), one with no
    # trigram (the planner after the walk); own-column sorts both ways, NULLs included.
    ViewState("users", search="maria"),
    ViewState("users", search="maria", sort="name", descending=True),
    ViewState("users", search="garcia", sort="last_login"),
    ViewState("users", search="garcia", sort="last_login", descending=True),
    ViewState("users", search="sofia", sort="firebase_id"),
    ViewState("users", search="RARE"),
    ViewState("users", search="RARE", sort="email", descending=True),
    ViewState("users", search="RARE", sort="last_login"),
    ViewState("users", search="svc-sync", sort="date_joined"),
    ViewState("users", search="ta", sort="email"),
    ViewState("users", search="an", statuses=frozenset({2, 3})),
    ViewState("users", search="haddad", statuses=frozenset({1}), sort="date_joined"),
    ViewState("users", search="no such user anywhere"),
    ViewState("plugins", search="(EU)", sort="created_at"),
    ViewState("plugins", search="staging", descending=True),
    ViewState("organizations", search="labs", sort="name"),
]


@pytest.fixture
def connection(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connection]:
    # A short walk, so that both steps run on a small database.
    monkeypatch.setattr(search_window, "FIRST_WALK", 40)
    with seeded_engine.connect() as connection:
        yield connection


@pytest.mark.parametrize("state", STATES, ids=lambda s: f"{s.view}-{s.search}-{s.sort}")
def test_a_whole_searched_view_walked_both_ways_is_the_plain_querys(
    connection: Connection, state: ViewState
) -> None:
    if state.search == "RARE":
        state = state.with_(search=rare_term(connection))
    assert search_window.applies(state)
    expected: list[tuple[Any, ...]] = []
    key = None
    while True:  # forwards, window by window from the start, as scrolling reads them
        page = plain(connection, state, key=key)
        assert two_steps(connection, state, key=key) == page
        expected += page
        if len(page) < LIMIT:
            break
        key = key_of(page[-1])
    assert len({row[0] for row in expected}) == len(expected)
    if not expected:
        return
    # Backwards from the last row, and a window from a row itself (inclusive).
    last = key_of(expected[-1])
    back = two_steps(connection, state, key=last, backwards=True)
    assert back == plain(connection, state, key=last, backwards=True)
    assert [row[0] for row in reversed(back)] == [row[0] for row in expected[-LIMIT - 1 : -1]]
    middle = key_of(expected[len(expected) // 2])
    assert two_steps(connection, state, key=middle, inclusive=True) == plain(
        connection, state, key=middle, inclusive=True
    )


def statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_rare_term_is_found_through_the_trigram_indexes_and_a_frequent_one_by_the_walk(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (The whole seeded table is shorter than the real walk: that alone would be a plan.)
    monkeypatch.setattr(search_window, "FIRST_WALK", 500)
    with seeded_engine.connect() as connection:
        rare = rare_term(connection)
    seen = statements(seeded_engine)
    window = fetch_window(seeded_engine, ViewState("users", search=rare), limit=100)
    assert len(window.rows) == 1 and rare in window.rows[0][2] and not window.more
    assert any("enable_indexscan = off" in s for s in seen)
    # ... driven by its rarest pieces (the seeded names repeat; its number does not).
    assert any("narrowed" in s for s in seen)

    seen.clear()
    window = fetch_window(seeded_engine, ViewState("users", search="a"), limit=100)
    assert len(window.rows) == 100 and window.more
    assert not any("enable_indexscan" in s for s in seen)  # the walk filled the window


def test_the_trigram_step_is_planned_on_the_trigram_indexes(seeded_engine: Engine) -> None:
    """Whatever the planner estimates: the candidates' plan reads the trigram indexes."""
    state = ViewState("users", search="grace.tanaka", sort="email")
    statement = queries.window_ids(state, key=("a", 1), limit=101)
    with seeded_engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
        plan = connection.execute(queries.Explain(statement)).scalar_one()
    document = json.dumps(plan if isinstance(plan, list) else json.loads(plan))
    for index in ("ix_user_name_trgm", "ix_user_email_trgm", "ix_user_firebase_id_trgm"):
        assert f'"Index Name": "{index}"' in document
    assert '"Node Type": "Seq Scan"' not in document


@pytest.mark.parametrize(
    ("term", "found", "rows", "trigrams"),
    [
        ("grace.tanaka6711028", 0, 10_000_000, True),  # none in the first walk: rare
        ("maria", 66, 10_000_000, False),  # 1 in 30: the rest of the window is close
        ("lucas.kim", 1, 10_000_000, True),  # 1 in 2,000 of 10M: 5,000 matches to sort
        ("lucas", 20, 10_000_000, False),  # 1 in 100: 100,000 matches; 8,000 rows walked
        ("lucas", 20, 100_000, True),  # ... of a small table: 1,000 matches
        ("ta", 0, 10_000_000, False),  # no trigram: the indexes cannot narrow it
        ("a.b", 0, 10_000_000, False),
    ],
)
def test_the_rest_of_a_window_comes_from_the_cheaper_plan(
    term: str, found: int, rows: int, trigrams: bool
) -> None:
    wanted = 101 - found
    assert search_window.by_trigrams(term, found, 2_000, wanted, rows) is trigrams
