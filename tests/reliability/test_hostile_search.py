"""Hostile search text and filters on every browse view: the rows an independent SQL query
finds, in the same order, or a KnownError on the search field (NUL, too long)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sql_oracle import SORTS, independent_ids
from sqlalchemy.engine import Engine

from desktop.core.errors import KnownError
from desktop.core.view_state import MAX_SEARCH_CHARS, ViewState
from desktop.services import browse, windows

from .conftest import HOSTILE_PROFILE
from .hostile import hostile_text

HOSTILE = settings.get_profile(HOSTILE_PROFILE)
NOW = datetime.now(UTC)

#: Hostile text, and hostile text around fragments that do occur in the seeded data, so
#: matches are not always empty.
searches = st.one_of(
    hostile_text,
    st.builds(
        lambda a, b, c: a + b + c,
        st.sampled_from(["", " ", "%", "_", "\\", "'"]),
        st.sampled_from(["a", "son", "@", "e", "1", "org", "ma"]),
        st.sampled_from(["", " ", "%", "_", "\\", "\x00"]),
    ),
)
dates = st.none() | st.integers(-400, 4 * 365).map(lambda d: NOW - timedelta(days=d))


@st.composite
def states(draw: Any) -> ViewState:
    view = draw(st.sampled_from(["users", "plugins", "organizations"]))
    state = ViewState(
        view,
        search=draw(searches),
        sort=draw(st.sampled_from(sorted(SORTS[view]))),
        descending=draw(st.booleans()),
    )
    if view == "users":
        state = state.with_(
            statuses=frozenset(draw(st.sets(st.integers(0, 4), max_size=3))),
            is_system=draw(st.sampled_from([None, True, False])),
            joined_from=draw(dates),
            joined_to=draw(dates),
            login_from=draw(dates),
            login_to=draw(dates),
            organization_id=draw(st.sampled_from([None, 1, 2, 7, 10**6])),
        )
    elif view == "plugins":
        state = state.with_(
            data_source=draw(st.none() | st.sampled_from(["postgres", "s3"]) | hostile_text),
            organization_id=draw(st.sampled_from([None, 1, 3, 10**6])),
        )
    return state


def chained_ids(engine: Engine, state: ViewState) -> list[int]:
    ids: list[int] = []
    key = None
    while True:
        win = browse.fetch_window(engine, state, key=key, limit=500)
        ids += [row[0] for row in win.rows]
        if not win.more:
            return ids
        key = win.last_key


@HOSTILE
@given(state=states(), fraction=st.floats(0, 1))
def test_hostile_searches_and_filters_match_independent_sql(
    seeded_engine: Engine, state: ViewState, fraction: float
) -> None:
    impossible = {
        "search": "\x00" in state.search or len(state.search.strip()) > MAX_SEARCH_CHARS,
        "statuses": not state.statuses <= {1, 2, 3},
        "data_source": "\x00" in (state.data_source or "") and state.view == "plugins",
    }
    try:
        ids = chained_ids(seeded_engine, state)
        opened = windows.open_view(seeded_engine, state)
        total = browse.count_total(seeded_engine, state)
    except KnownError as exc:
        assert exc.field is not None and impossible.get(exc.field), f"refused: {exc.message}"
        assert exc.message.strip()
        return
    assert not any(impossible.values()), "a search PostgreSQL cannot run was not refused"
    expected = independent_ids(seeded_engine, state)
    assert ids == expected
    first = [row[0] for row in opened.first.rows] if opened.first else []
    assert first == expected[: len(first)]
    if state.is_filtered and total.kind == "exact":
        assert total.value == len(expected)
    # A scrollbar jump (the windows layer): whatever block it lands on is a run of the view.
    target = int(fraction * windows.last_block(max(len(expected), 1)))
    loaded = windows.load_blocks(seeded_engine, state, [target], {}, max(len(expected), 1))
    for block in loaded.blocks:
        got = [row[0] for row in block.rows if row is not None]
        if got:
            start = expected.index(got[0])
            assert expected[start : start + len(got)] == got
