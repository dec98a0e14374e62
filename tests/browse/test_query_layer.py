"""The query layer against an independent SQL query, for random searches, filters and sorts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sql_oracle import SORTS, independent_ids
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.core.errors import KnownError
from desktop.core.view_state import ViewState
from desktop.services import browse, columns, windows

NOW = datetime.now(UTC)
TERMS = [
    "",
    "maria",
    "GARC",
    "son",
    "svc-sync",
    "a",
    "@",
    "x",
    "müller",
    "o'b",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "e%",
    "1_",
    "🙂",
    "ab",
    "lab",
    "(eu)",
    "stag",
    "north",
    "zzzz",
]


def all_ids(engine: Engine, state: ViewState, limit: int = 700) -> list[int]:
    ids: list[int] = []
    key = None
    while True:
        win = browse.fetch_window(engine, state, key=key, limit=limit)
        ids += [r[0] for r in win.rows]
        if not win.more:
            return ids
        key = win.last_key


dates = st.none() | st.integers(0, 3 * 365).map(lambda d: NOW - timedelta(days=d))


@st.composite
def states(draw: Any) -> ViewState:
    view = draw(st.sampled_from(["users", "users", "plugins", "organizations"]))
    state = ViewState(
        view,
        search=draw(st.sampled_from(TERMS)),
        sort=draw(st.sampled_from(sorted(SORTS[view]))),
        descending=draw(st.booleans()),
    )
    if view == "users":
        state = state.with_(
            statuses=frozenset(draw(st.sets(st.sampled_from([1, 2, 3]), max_size=2))),
            is_system=draw(st.sampled_from([None, True, False])),
            joined_from=draw(dates),
            joined_to=draw(dates),
            login_from=draw(dates),
            login_to=draw(dates),
            organization_id=draw(st.sampled_from([None, 1, 2, 7])),
        )
    elif view == "plugins":
        state = state.with_(
            data_source=draw(st.sampled_from([None, "postgres", "s3", "stripe", "nope"])),
            organization_id=draw(st.sampled_from([None, 1, 3])),
        )
    return state


@settings(max_examples=220, deadline=None, suppress_health_check=list(HealthCheck))
@given(state=states())
def test_keyset_chain_equals_independent_sql(seeded_engine: Engine, state: ViewState) -> None:
    expected = independent_ids(seeded_engine, state)
    assert all_ids(seeded_engine, state) == expected
    total = browse.count_total(seeded_engine, state)
    if state.is_filtered:
        assert total == columns.Total(len(expected), "exact")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(state=states(), fraction=st.floats(0, 1))
def test_jumped_blocks_are_contiguous_runs_of_the_true_order(
    seeded_engine: Engine, state: ViewState, fraction: float
) -> None:
    expected = independent_ids(seeded_engine, state)
    total = max(len(expected), 1)
    target = int(fraction * windows.last_block(total)) if expected else 0
    loaded = windows.load_blocks(seeded_engine, state, [target], {}, total)
    for block in loaded.blocks:
        ids = [r[0] for r in block.rows if r is not None]
        if ids:
            start = expected.index(ids[0])
            assert expected[start : start + len(ids)] == ids


def test_a_deep_jump_does_not_read_everything_before_it(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(windows, "CHAIN_LIMIT", 2)  # the seeded table is small
    state = ViewState("users", sort="email")
    total = browse.count_total(seeded_engine, state).value
    target = windows.last_block(total) // 2
    loaded = windows.load_blocks(seeded_engine, state, [target], {}, total)
    assert [b.index for b in loaded.blocks] == [target]
    assert loaded.quantiles is not None and loaded.quantiles.keys
    ids = [r[0] for r in loaded.blocks[0].rows if r is not None]
    expected = independent_ids(seeded_engine, state)
    position = expected.index(ids[0])
    assert abs(position - target * windows.BLOCK) < total * 0.15


def test_an_estimate_too_high_is_corrected_at_the_end(seeded_engine: Engine) -> None:
    state = ViewState("users")
    real = len(independent_ids(seeded_engine, state))
    loaded = windows.load_blocks(seeded_engine, state, [0, 1], {}, real + 1000)
    first = windows.load_blocks(
        seeded_engine,
        state,
        [windows.last_block(real + 1000)],
        {b.index: (b.first_key, b.last_key) for b in loaded.blocks},
        real + 1000,
    )
    assert first.blocks  # the tail of the view, read backwards from the end
    chained = windows.load_blocks(
        seeded_engine, state, list(range(windows.last_block(real) + 3)), {}, real + 1000
    )
    assert chained.total == real


@pytest.mark.parametrize(
    "search",
    [
        '\'; DROP TABLE "user"; --',
        "%",
        "_",
        "\\",
        "\\%",
        "100%_",
        "🙂🙂",
        "Ölçü",
        "a" * 999,
        "o'brien",
        '"quoted"',
    ],
)
def test_hostile_search_text_gives_correct_results(seeded_engine: Engine, search: str) -> None:
    for view in ("users", "plugins", "organizations"):
        state = ViewState(view, search=search)
        assert all_ids(seeded_engine, state) == independent_ids(seeded_engine, state)


def test_wildcards_match_literally(seeded_engine: Engine) -> None:
    with seeded_engine.begin() as c:
        c.execute(text("UPDATE \"user\" SET name = 'Percent 100% Sure' WHERE id = 5"))
        c.execute(text("UPDATE \"user\" SET name = 'Under_score \\ back' WHERE id = 6"))
    found = lambda s: all_ids(seeded_engine, ViewState("users", search=s))  # noqa: E731
    assert found("0% s") == [5]
    assert found("r_s") == [6]
    assert found("e \\ b") == [6]


@pytest.mark.parametrize(
    ("search", "message"),
    [("a\x00b", "NUL"), ("x" * 10_000, "too long")],
)
def test_impossible_search_text_gives_a_clear_message(
    seeded_engine: Engine, search: str, message: str
) -> None:
    with pytest.raises(KnownError, match=message):
        browse.fetch_window(seeded_engine, ViewState("users", search=search))


def test_organization_summary_counts(seeded_engine: Engine) -> None:
    summary = browse.organization_summary(seeded_engine, 1)
    with seeded_engine.connect() as c:
        users, plugins = c.execute(
            text(
                'SELECT (SELECT count(*) FROM "user" WHERE organization_id = 1),'
                " (SELECT count(*) FROM plugin WHERE organization_id = 1)"
            )
        ).one()
        by_status = dict(
            c.execute(
                text(
                    'SELECT status, count(*) FROM "user" WHERE organization_id = 1 GROUP BY status'
                )
            ).all()
        )
    assert summary.users == users and summary.plugins == plugins
    assert {int(k): v for k, v in summary.by_status.items() if v} == by_status
    with pytest.raises(KnownError):
        browse.organization_summary(seeded_engine, 10**9)


def test_count_times_out_to_an_estimate(seeded_engine: Engine) -> None:
    state = ViewState("users", search="a")
    total = browse.count_total(seeded_engine, state, timeout_ms=1)
    assert total.kind in {"about", "exact"}
    capped = browse.count_total(seeded_engine, state, cap=10)
    assert capped == columns.Total(10, "more_than") and capped.describe() == "more than 10"
