"""Loads fixed-size blocks of a view's rows by position, by keyset chains or quantile jumps.

A view of N rows is cut into blocks of `BLOCK` rows. A block next to one already loaded is
read by keyset from its neighbour's first or last key; a block far from any is read from
the sort key at its fraction of the view (a jump); nothing ever uses OFFSET. Positions are
approximate when the total is an estimate: a block that finds the end early corrects the
total, one that overshoots is padded with empty rows. A block read backwards from the end
is marked `from_end`: its position holds only as long as the total, so the model drops it
when the total changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from desktop.core import cancel
from desktop.core.view_state import ViewState
from desktop.db.queries import SortKey
from desktop.services.browse import Quantiles, estimated_total, fetch_window, quantiles
from desktop.services.columns import BLOCK, TABLES, Total
from desktop.services.display import Texts, row_texts

CHAIN_LIMIT = 3  # blocks read one after another before a jump is cheaper

Row = tuple[Any, ...] | None


@dataclass(frozen=True)
class Block:
    index: int
    rows: tuple[Row, ...]
    first_key: SortKey | None
    last_key: SortKey | None
    #: The rows' display texts (visible columns), formatted here in the background so
    #: that painting a cell only looks its text up.
    texts: Texts = ()
    #: Read backwards from the view's end (or chained from such a block): its position
    #: counts from the total at the time, so it is wrong once the total changes.
    from_end: bool = False

    @property
    def placed_by_end(self) -> bool:
        """Placed against the view's end as known when it was read: read back from it, or
        cut short at it (only the last block holds fewer than `BLOCK` rows)."""
        return self.from_end or len(self.rows) < BLOCK


def make_block(
    state: ViewState,
    index: int,
    rows: list[Row],
    first: SortKey | None,
    last: SortKey | None,
    from_end: bool = False,
) -> Block:
    texts = row_texts(TABLES[state.view], rows)
    return Block(index, tuple(rows), first, last, texts, from_end)


@dataclass
class Loaded:
    """What one load job found: blocks, a corrected total, the quantiles it computed."""

    blocks: list[Block] = field(default_factory=list)
    total: int | None = None
    quantiles: Quantiles | None = None


def block_size(index: int, total: int) -> int:
    return max(0, min(BLOCK, total - index * BLOCK))


def last_block(total: int) -> int:
    return (total - 1) // BLOCK if total > 0 else -1


class _Job:
    def __init__(
        self,
        engine: Engine,
        state: ViewState,
        anchors: dict[int, tuple[SortKey | None, SortKey | None]],
        total: int,
        known_quantiles: Quantiles | None,
        from_end: frozenset[int],
    ) -> None:
        self.engine = engine
        self.state = state
        self.known = dict(anchors)
        self.from_end = set(from_end)
        self.total = total
        self.result = Loaded(quantiles=known_quantiles)
        self.total_changed = False

    def _check(self) -> None:
        token = cancel.current()
        if token is not None:
            token.raise_if_cancelled()

    def _store(
        self,
        index: int,
        rows: list[Row],
        first: SortKey | None,
        last: SortKey | None,
        from_end: bool = False,
    ) -> None:
        self.known[index] = (first, last)
        if from_end:
            self.from_end.add(index)
        self.result.blocks.append(make_block(self.state, index, rows, first, last, from_end))

    def _set_total(self, total: int) -> None:
        if total != self.total:
            self.total = total
            self.total_changed = True

    def forward(self, index: int) -> bool:
        """Read block `index` after block index-1 (or from the start). False at the end."""
        self._check()
        size = block_size(index, self.total)
        previous = self.known.get(index - 1)
        key = previous[1] if previous else None
        if index > 0 and key is None:
            return False
        win = fetch_window(self.engine, self.state, key=key, limit=max(size, BLOCK))
        rows: list[Row] = list(win.rows)
        if len(rows) < size or (not win.more and len(rows) < BLOCK):
            self._set_total(index * BLOCK + len(rows))  # the real end came earlier
        elif index == last_block(self.total) and (win.more or len(rows) > size):
            self._set_total((index + 1) * BLOCK + (BLOCK if win.more else 0))  # and later
        rows = rows[: block_size(index, self.total)]
        if rows:
            self._store(index, rows, win.first_key, win.last_key, index - 1 in self.from_end)
        return bool(rows) and index < last_block(self.total)

    def backward(self, index: int) -> None:
        """Read block `index` before block index+1 (or as the tail of the view)."""
        self._check()
        size = block_size(index, self.total)
        following = self.known.get(index + 1)
        key = following[0] if following else None
        if index < last_block(self.total) and key is None:
            return
        win = fetch_window(self.engine, self.state, key=key, backwards=True, limit=size)
        rows: list[Row] = [None] * (size - len(win.rows)) + list(win.rows)
        from_end = following is None or index + 1 in self.from_end
        self._store(index, rows, win.first_key, win.last_key, from_end)

    def jump(self, index: int) -> None:
        self._check()
        if self.result.quantiles is None:
            self.result.quantiles = quantiles(self.engine, self.state)
        key = self.result.quantiles.key_at(index * BLOCK / max(self.total, 1))
        if key is None:
            self.chain_forward_from(min(self.known, default=-1), index)
            return
        size = block_size(index, self.total)
        win = fetch_window(self.engine, self.state, key=key, inclusive=True, limit=size)
        rows: list[Row] = list(win.rows) + [None] * (size - len(win.rows))
        self._store(index, rows, win.first_key, win.last_key)

    def chain_forward_from(self, start: int, index: int) -> None:
        for j in range(start + 1, index + 1):
            if j in self.known and j != index:
                continue
            if not self.forward(j):
                return

    def load(self, index: int) -> None:
        last = last_block(self.total)
        if index > last or index in self.known:
            return
        below = [k for k in self.known if k < index]
        above = [k for k in self.known if index < k <= last]
        # (distance, preference, direction, start): at equal distance, chain from a loaded
        # block rather than from an edge, and from the start rather than from the end,
        # whose position is only as good as the total (a stand-in while a search's
        # estimate is on its way).
        options: list[tuple[int, int, str, int]] = []
        if below:
            options.append((index - max(below), 0, "forward", max(below)))
        options.append((index + 1, 1, "forward", -1))
        if above:
            options.append((min(above) - index, 0, "backward", min(above)))
        options.append((last + 1 - index, 2, "backward", last + 1))
        distance, _preference, direction, start = min(options)
        if distance > CHAIN_LIMIT:
            self.jump(index)
        elif direction == "forward":
            self.chain_forward_from(start, index)
        else:
            for j in range(start - 1, index - 1, -1):
                if j not in self.known or j == index:
                    self.backward(j)


def load_blocks(
    engine: Engine,
    state: ViewState,
    wanted: list[int],
    anchors: dict[int, tuple[SortKey | None, SortKey | None]],
    total: int,
    known_quantiles: Quantiles | None = None,
    from_end: frozenset[int] = frozenset(),
) -> Loaded:
    """Read the `wanted` blocks of the view (and any needed to chain to them). `from_end`
    names the `anchors` that were read backwards from the view's end."""
    job = _Job(engine, state, anchors, total, known_quantiles, from_end)
    for index in sorted(set(wanted)):
        job.load(index)
    if job.total_changed:
        job.result.total = job.total
    return job.result


@dataclass(frozen=True)
class Opened:
    """A view's first block and its total as known at once (refined later by a count)."""

    first: Block | None
    total: Total
    needs_count: bool
    #: `total` is a stand-in (one row more than the block): the caller runs the planner's
    #: estimate (`estimated_total`) beside this call rather than after it.
    needs_estimate: bool = False


def open_view(engine: Engine, state: ViewState, *, estimate: bool = True) -> Opened:
    """The first block and an instant total: exact when the view fits in one block, the
    table estimate when unfiltered, else the planner's estimate (then count it).

    With `estimate=False`, a filtered view larger than a block gets a stand-in total and
    `needs_estimate`: its first rows are not kept waiting for the planner.
    """
    win = fetch_window(engine, state, limit=BLOCK)
    rows: list[Row] = list(win.rows)
    first = make_block(state, 0, rows, win.first_key, win.last_key) if rows else None
    if not win.more:
        return Opened(first, Total(len(win.rows)), needs_count=False)
    if not estimate and state.is_filtered:
        return Opened(first, Total(BLOCK + 1, "about"), needs_count=True, needs_estimate=True)
    estimate_total = estimated_total(engine, state)
    total = Total(max(estimate_total.value, BLOCK + 1), "about")
    return Opened(first, total, needs_count=state.is_filtered)
