"""A read-only table model over a whole view: rowCount is the total, rows load in blocks.

`data()` never blocks: a row whose block is not loaded shows a placeholder and asks for its
block; blocks load in the background through the Runner (latest request wins, superseded
queries are cancelled on the server). At most `max_blocks` blocks stay cached, so memory
is bounded however far one scrolls.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from desktop.core.errors import KnownError
from desktop.core.staging import StagedChanges, StagedRow
from desktop.core.view_state import ViewState
from desktop.services.columns import BLOCK, Kind, TableSpec, Total
from desktop.services.display import display
from desktop.ui.runner import Runner

if TYPE_CHECKING:
    # The query layer (and SQLAlchemy) load in the background after the window shows.
    from desktop.core.events import RowsChanged
    from desktop.services import refresh, windows
    from desktop.services.browse import Quantiles
    from desktop.services.database import Database
    from desktop.services.windows import Block, Loaded

log = logging.getLogger(__name__)

PAGE_SIZE = BLOCK
MAX_BLOCKS = 60
COUNT_DELAY_MS = 60  # after the first page, before the exact count of a filtered view
PREFETCH_DELAY_MS = 30  # after scrolling pauses, before reading ahead
PLACEHOLDER = "…"
RowRole = Qt.ItemDataRole.UserRole + 1  # the whole row as a tuple (None while loading)
SortRole = Qt.ItemDataRole.UserRole + 2  # the native value

AnyIndex = QModelIndex | QPersistentModelIndex

_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROLES = frozenset({_DISPLAY, _FOREGROUND, _ALIGN, _TOOLTIP, RowRole, SortRole})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_GRAY = QColor(Qt.GlobalColor.gray)
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_CELL = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
_EDITABLE_CELL = _CELL | Qt.ItemFlag.ItemIsEditable


def _estimate_failed(exc: BaseException) -> None:
    log.debug("planner estimate failed: %s", exc)


class PagedTableModel(QAbstractTableModel):
    """All rows of one browse view (its search, filters and sort), loaded lazily by block."""

    #: The first rows of a new state (search, filter, sort or database) are shown: (total).
    page_loaded = Signal(int)
    #: The total (or its kind) changed; `total` says how it should be described.
    total_changed = Signal()
    #: A load failed, with a message for people.
    load_failed = Signal(str)
    #: The view state changed (a new search, filter or sort was asked for).
    state_changed = Signal()
    #: A (re)load of the first rows started (empty and loading states show it).
    loading_started = Signal()
    #: Rows a committed write touched were read again and replaced in place: (how many).
    rows_refreshed = Signal(int)

    def __init__(
        self,
        spec: TableSpec,
        runner: Runner,
        parent: QObject | None = None,
        *,
        max_blocks: int = MAX_BLOCKS,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self._runner = runner
        self._columns = [c for c in spec.columns if c.visible]
        self._column_index = {c.key: i for i, c in enumerate(spec.columns)}
        self._max_blocks = max_blocks
        self._database: Database | None = None
        self._state = ViewState(spec.name)
        self._rows = 0
        self._total = Total(0)
        self._blocks: OrderedDict[int, Block] = OrderedDict()
        self._quantiles: Quantiles | None = None
        self._missing: set[int] = set()
        self._inflight: set[int] = set()
        self._generation = 0
        # A filtered view's planner estimate runs beside its first page (not after it): it
        # waits here if it comes first, or replaces the stand-in total if it comes second.
        self._estimate: Total | None = None
        self._provisional = False  # the total shown is the stand-in, awaiting the estimate
        self._opening = False
        self._failed = False  # the last load failed: asking for the same state retries it
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self._visible = (0, -1)  # the rows the view shows (first, last)
        self._read_ahead: set[int] = set()  # blocks asked for ahead of need, not yet stored
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.timeout.connect(self._prefetch)
        # Inline edits (see desktop/ui/inline_editing.py): the staged rows of this view by id.
        self._staging: StagedChanges | None = None
        self._staged: dict[int, StagedRow] = {}
        self._editable: frozenset[int] = frozenset()

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> ViewState:
        return self._state

    @property
    def total(self) -> Total:
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._opening

    @property
    def database(self) -> Database | None:
        return self._database

    def cached_blocks(self) -> int:
        return len(self._blocks)

    def set_database(self, database: Database | None) -> None:
        """Show `database`'s rows; the same database again reloads in place. Another one
        (or None) empties the view at once: no row of the previous database stays on
        screen while the new one answers, or if it fails."""
        switched = database is not self._database
        self._database = database
        if database is None or switched:
            self._generation += 1
            self._runner.cancel(self._key("open"))
            self.beginResetModel()
            self._rows, self._total = 0, Total(0)
            self._clear_blocks()
            self.endResetModel()
        if database is not None:
            self._reload()

    def set_state(self, state: ViewState) -> None:
        """Show `state` (its search, filters and sort); reloads only if it changed, or if the
        last load failed (asking again is how the user retries)."""
        if state == self._state and not self._failed:
            return
        if state != self._state:
            self._state = state
            self.state_changed.emit()
        if self._database is not None:
            self._reload()

    def apply_change(self, change: RowsChanged) -> None:
        """A committed write changed rows: refresh the loaded ones it touched in place, or
        reload when rows may have entered, left or moved (see services/refresh.py)."""
        if self._database is None:
            return
        from desktop.services import refresh  # deferred: off the start-up path

        decision = refresh.plan(self._state, change)
        if decision.action == refresh.NOTHING:
            return
        if decision.action == refresh.RELOAD or self._opening:
            self._reload()
            return
        column = self._column_index[decision.match]
        touched = {
            int(row[0]): (block.index, offset)
            for block in self._blocks.values()
            for offset, row in enumerate(block.rows)
            if row is not None and row[column] in change.ids
        }
        if not touched:
            return
        generation = self._generation
        self._runner.submit(
            partial(self._database.refreshed_rows, self._state, list(touched)),
            on_success=partial(self._on_refreshed, generation, touched),
            on_failure=partial(self._on_failure, generation),
            pool="read",
        )

    def _on_refreshed(
        self, generation: int, touched: dict[int, tuple[int, int]], found: refresh.Refreshed
    ) -> None:
        if generation != self._generation:
            return  # reloaded since: the new rows are newer than these
        sort_column = self._column_index.get(self._state.sort)
        changed: dict[int, tuple[list[Any], list[Any]]] = {}
        replaced = 0
        for row_id, (index, offset) in touched.items():
            block = self._blocks.get(index)
            if block is None or offset >= len(block.rows):
                continue  # evicted meanwhile: it loads afresh when next shown
            old = block.rows[offset]
            if old is None or int(old[0]) != row_id:
                continue
            new = found.rows.get(row_id)
            if new is None or (sort_column is not None and new[sort_column] != old[sort_column]):
                self._reload()  # it left the view or moved: only a reload places it right
                return
            rows, texts = changed.setdefault(index, (list(block.rows), list(block.texts)))
            rows[offset] = new
            replaced += 1
            if offset < len(texts):
                texts[offset] = found.texts.get(row_id)
        for index, (rows, texts) in changed.items():
            self._blocks[index] = replace(self._blocks[index], rows=tuple(rows), texts=tuple(texts))
        if changed:
            self._repaint_blocks(set(changed))
            self.rows_refreshed.emit(replaced)

    def _key(self, what: str) -> str:
        return f"{what}:{self.spec.name}:{id(self)}"

    def _reload(self) -> None:
        assert self._database is not None
        self._generation += 1
        self._opening = True
        self._quantiles = None
        self._missing.clear()
        self._inflight.clear()
        self._estimate = None
        self._provisional = False
        self._runner.cancel(self._key("blocks"))
        self._runner.cancel(self._key("count"))
        self._runner.cancel(self._key("estimate"))
        generation = self._generation
        # A search's estimate (planning the trigram query, 2-3 ms) runs beside the first
        # page; other filters' estimates are cheap and come with it, as do the views of an
        # organization (which mostly fit in one block and open two at a time).
        database, beside = self._database, bool(self._state.search.strip())
        self._runner.submit(
            partial(database.open_view, self._state, estimate=not beside),
            on_success=partial(self._on_open, generation),
            on_failure=partial(self._on_failure, generation),
            key=self._key("open"),
            pool="read",
        )
        if beside:  # at the same time, on the pool for short side jobs
            self._runner.submit(
                partial(database.estimated_total, self._state),
                on_success=partial(self._on_estimate, generation),
                on_failure=_estimate_failed,  # the first page's own load reports faults
                key=self._key("estimate"),
                pool="net",
            )
        self.loading_started.emit()

    def _on_open(self, generation: int, opened: windows.Opened) -> None:
        if generation != self._generation:
            return
        self._opening = False
        self._failed = False
        total, self._provisional = opened.total, opened.needs_estimate
        if opened.needs_estimate and self._estimate is not None:
            total, self._provisional = self._estimate, False
        self.beginResetModel()
        self._clear_blocks()
        self._total = total
        self._rows = total.value
        if opened.first is not None:
            self._store(opened.first)
        self.endResetModel()
        self.page_loaded.emit(self._rows)
        self.total_changed.emit()
        if opened.needs_count:
            # The exact count starts once the first rows have painted: on a busy machine it
            # would otherwise compete with that paint, and the estimate shows meanwhile.
            QTimer.singleShot(COUNT_DELAY_MS, self, partial(self._start_count, generation))

    def _start_count(self, generation: int) -> None:
        if generation != self._generation or self._database is None or self._runner.closed:
            return
        self._runner.submit(
            partial(self._database.count_total, self._state),
            on_success=partial(self._on_count, generation),
            on_failure=partial(self._on_failure, generation),
            key=self._key("count"),
            pool="read",
        )

    def _on_estimate(self, generation: int, total: Total) -> None:
        if generation != self._generation:
            return
        estimate = Total(max(total.value, BLOCK + 1), "about")
        if self._opening:
            self._estimate = estimate  # the first page takes it
            return
        if not self._provisional:
            return  # the view fits in one block, or its count came first
        self._provisional = False
        self._total = estimate
        self._resize(estimate.value)
        self.total_changed.emit()

    def _on_count(self, generation: int, total: Total) -> None:
        if generation != self._generation:
            return
        self._provisional = False
        self._total = total
        self._resize(total.value)
        self.total_changed.emit()

    def _on_failure(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._opening = False
        self._failed = True
        self._inflight.clear()
        message = exc.message if isinstance(exc, KnownError) else str(exc)
        self.load_failed.emit(f"Could not load {self.spec.title.lower()}: {message}")

    # -- blocks ---------------------------------------------------------------------------

    def _want(self, block: int) -> None:
        if block in self._inflight or self._opening:
            return
        self._missing.add(block)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def set_visible_rows(self, first: int, last: int) -> None:
        """The view shows rows `first`..`last`: once scrolling pauses, the blocks a page
        beyond them load ahead of need, so the next scroll paints rows, not placeholders."""
        self._visible = (first, last)
        self._prefetch_timer.start(PREFETCH_DELAY_MS)

    def _prefetch(self) -> None:
        first, last = self._visible
        if self._opening or self._inflight or self._missing or self._database is None:
            return
        if first < 0 or last < first:
            return
        shown = {row // BLOCK for row in (first, min(last, self._rows - 1))}
        if not shown <= self._blocks.keys():
            return  # the visible rows are still loading: their paint asks for them first
        page = last - first + 1
        for row in (first - page, last + page):
            block = row // BLOCK
            # Each block once until it is stored: a load that stores nothing (the view's
            # end came earlier than estimated) must not be asked for again and again.
            if (
                0 <= row < self._rows
                and block not in self._blocks
                and block not in self._read_ahead
            ):
                self._read_ahead.add(block)
                self._want(block)

    def _flush(self) -> None:
        wanted = sorted(b for b in self._missing if b not in self._blocks)
        self._missing.clear()
        if not wanted or self._database is None or self._opening:
            return
        abandoned = self._inflight - set(wanted)
        self._read_ahead -= abandoned  # superseded before it ran: may be read ahead again
        self._inflight = set(wanted)
        anchors = {i: (b.first_key, b.last_key) for i, b in self._blocks.items()}
        from_end = frozenset(i for i, b in self._blocks.items() if b.from_end)
        generation = self._generation
        self._runner.submit(
            partial(
                self._database.load_blocks,
                self._state,
                wanted,
                anchors,
                self._rows,
                self._quantiles,
                from_end,
            ),
            on_success=partial(self._on_blocks, generation, abandoned, self._rows),
            on_failure=partial(self._on_failure, generation),
            key=self._key("blocks"),
            pool="read",
        )

    def _on_blocks(
        self, generation: int, abandoned: set[int], asked_at: int, loaded: Loaded
    ) -> None:
        if generation != self._generation:
            return
        self._inflight.clear()
        if loaded.quantiles is not None:
            self._quantiles = loaded.quantiles
        # The total changed while the load ran (a search's estimate or count came in): the
        # load's own correction of the total and its blocks placed against the old end
        # (read backwards from it, or cut short at it) are out of date.
        current = asked_at == self._rows
        if current and loaded.total is not None and loaded.total != self._rows:
            kind = "exact" if loaded.total < self._rows else self._total.kind
            self._total = Total(loaded.total, kind)
            self._resize(loaded.total)
            self.total_changed.emit()
        fresh, dropped = set(), set()
        for block in loaded.blocks:
            if not current and block.placed_by_end:
                dropped.add(block.index)  # repainted below: its rows ask for it again
            elif block.index * BLOCK < self._rows:
                self._store(block)
                fresh.add(block.index)
        self._read_ahead -= fresh | dropped
        while len(self._blocks) > self._max_blocks:
            self._blocks.popitem(last=False)
        self._repaint_blocks(fresh | abandoned | dropped)
        self._prefetch_timer.start(0)  # once these rows have painted (timers come after)

    def _repaint_blocks(self, indexes: set[int]) -> None:
        """Tell the views the rows of these blocks changed (those still in the view)."""
        last_column = self.columnCount() - 1
        for index in sorted(indexes):
            first, last = index * BLOCK, min(self._rows, (index + 1) * BLOCK) - 1
            if first <= last:
                self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def _store(self, block: Block) -> None:
        self._blocks[block.index] = block
        self._blocks.move_to_end(block.index)

    def _clear_blocks(self) -> None:
        self._blocks.clear()
        self._read_ahead.clear()

    def _resize(self, rows: int) -> None:
        if rows == self._rows:
            return
        # Blocks placed against the old end are wrong against the new one: those read
        # backwards from the end, and the old last block (cut short at the old end). They
        # load again when their rows are next painted.
        stale = {i for i, b in self._blocks.items() if b.placed_by_end}
        for index in stale:
            del self._blocks[index]
        if rows < self._rows:
            self.beginRemoveRows(QModelIndex(), rows, self._rows - 1)
            self._rows = rows
            for index in [i for i in self._blocks if i * BLOCK >= rows]:
                del self._blocks[index]
            self.endRemoveRows()
        else:
            self.beginInsertRows(QModelIndex(), self._rows, rows - 1)
            self._rows = rows
            self.endInsertRows()
        self._repaint_blocks(stale)

    def row_values(self, row: int) -> tuple[Any, ...] | None:
        """The loaded record at `row` (all spec columns), or None while it loads."""
        block = self._blocks.get(row // BLOCK)
        if block is None:
            return None
        offset = row - block.index * BLOCK
        return block.rows[offset] if offset < len(block.rows) else None

    def record(self, row: int) -> dict[str, Any] | None:
        values = self.row_values(row)
        if values is None:
            return None
        return {c.key: values[i] for i, c in enumerate(self.spec.columns)}

    def column_key(self, column: int) -> str:
        return self._columns[column].key

    def column_kind(self, column: int) -> Kind:
        return self._columns[column].kind

    # -- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not (0 <= section < len(self._columns)):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.sortable:
                return f"Click to sort by {column.title.lower()}"
            return f"{column.title} cannot be sorted"
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called thousands of times per paint: unknown roles leave at once; display texts
        # come formatted with their block (the delegate paints through `cell_text`).
        if role not in _ROLES:
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < self._rows and 0 <= col < len(self._columns)):
            return None
        if role == _DISPLAY:
            text = self.cell_text(row, col)
            return (PLACEHOLDER if col == 0 else "") if text is None else text
        block_index = row // BLOCK
        block = self._blocks.get(block_index)
        if block is None:
            self._want(block_index)
            if role == _FOREGROUND:
                return _GRAY
            return None
        offset = row - block_index * BLOCK
        values = block.rows[offset] if offset < len(block.rows) else None
        if role == RowRole:
            return values
        if values is None:
            return None
        column = self._columns[col]
        if role == _ALIGN:
            return _RIGHT if column.kind is Kind.INT else None
        if role == _TOOLTIP:
            if self._staged and col in self._editable:
                tip = self.staged_tooltip(row, col)
                if tip:
                    return tip
            if column.kind is Kind.MASKED:
                return "Credentials are hidden. Open the plugin to reveal them deliberately."
            return None
        if role == SortRole:
            return values[self._column_index[column.key]]
        return None

    def cell_text(self, row: int, col: int) -> str | None:
        """A cell's display text, or None while its block loads (which asks for it).

        The paint path: the delegate calls it once per visible cell (`row` and `col` are
        valid), so it only looks texts up.
        """
        block_index = row // BLOCK
        block = self._blocks.get(block_index)
        if block is None:
            self._want(block_index)
            return None
        offset = row - block_index * BLOCK
        texts = block.texts
        line = texts[offset] if offset < len(texts) else None
        if line is None:
            return ""
        if col == 0:
            self._blocks.move_to_end(block_index)  # recently seen: evicted last
        if self._staged:  # an empty dict when nothing is staged: no cost for clean grids
            staged = self._staged.get(block.rows[offset][0])  # type: ignore[index]
            if staged is not None and col in self._editable:
                key = self._columns[col].key
                if key in staged.changes:
                    return display(self._columns[col].kind, staged.changes[key])
        return line[col]

    def right_aligned(self) -> list[bool]:
        """Per visible column: whether its values are right-aligned (numbers)."""
        return [c.kind is Kind.INT for c in self._columns]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header click: sort on the server (ties broken by id)."""
        if not (0 <= column < len(self._columns)):
            return
        key = self._columns[column].key
        if not self._columns[column].sortable:
            self.state_changed.emit()  # lets the header put its indicator back
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_state(self._state.with_(sort=key, descending=descending))

    def sort_column(self) -> int:
        for i, column in enumerate(self._columns):
            if column.key == self._state.sort:
                return i
        return -1

    # -- inline edits -----------------------------------------------------------------------

    def set_staging(self, staging: StagedChanges) -> None:
        """Show and accept inline edits staged in `staging` (shared by every grid)."""
        self._staging = staging
        self._staged = staging.view(self.spec.name)
        self._editable = frozenset(
            i for i, c in enumerate(self._columns) if staging.editable(self.spec.name, c.key)
        )
        staging.subscribe(self._on_staged)

    def _on_staged(self) -> None:
        if self._rows and self._editable:
            self.dataChanged.emit(
                self.index(0, 0), self.index(self._rows - 1, self.columnCount() - 1)
            )

    def staged_row(self, row: int) -> StagedRow | None:
        values = self.row_values(row) if self._staged else None
        return self._staged.get(values[0]) if values is not None else None

    @property
    def has_staged(self) -> bool:
        """Some row of this view holds changes not saved yet."""
        return bool(self._staged)

    def staged_cell(self, row: int, col: int) -> tuple[bool, str | None]:
        """(changed and not saved, its problem) of one cell, for the delegate."""
        if not self._staged or col not in self._editable:
            return (False, None)
        staged = self.staged_row(row)
        if staged is None:
            return (False, None)
        key = self._columns[col].key
        changed = key in staged.changes
        problem = staged.problems.get(key) or (staged.problems.get("*") if changed else None)
        return (changed, problem)

    def staged_tooltip(self, row: int, col: int) -> str | None:
        staged = self.staged_row(row)
        column = self._columns[col]
        if staged is None or column.key not in staged.changes:
            return None
        was = display(column.kind, staged.seen.get(column.key)) or "(empty)"
        tip = f"Not saved yet. Was: {was}"
        problem = staged.problems.get(column.key) or staged.problems.get("*")
        if problem:
            tip += f"\nProblem: {problem}"
        return tip

    def edit_value(self, row: int, col: int) -> Any:
        """The value an editor starts from: the staged one, else the loaded one."""
        staged = self.staged_row(row)
        key = self._columns[col].key
        if staged is not None and key in staged.changes:
            return staged.changes[key]
        values = self.row_values(row)
        return None if values is None else values[self._column_index[key]]

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        # Asked for every cell on every paint: answered from constants (Qt's own flags for
        # a table cell, plus "editable" for staged-edit columns of loaded rows).
        if not index.isValid():
            return _NO_FLAGS
        if (
            index.column() in self._editable
            and self._database is not None
            and not self._database.read_only
            and self.row_values(index.row()) is not None
        ):
            return _EDITABLE_CELL
        return _CELL

    def setData(  # noqa: N802 - Qt API
        self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        """Stage an inline edit (nothing is written until the user saves)."""
        if role != Qt.ItemDataRole.EditRole or self._staging is None:
            return False
        if not (self.flags(index) & Qt.ItemFlag.ItemIsEditable):
            return False
        record = self.record(index.row())
        if record is None:
            return False
        key = self._columns[index.column()].key
        view = self.spec.name
        from desktop.services.staged_save import check_cell  # deferred: off start-up

        problem = check_cell(view, key, value)
        self._staging.stage(view, int(record["id"]), record, key, value, problem)
        return True
