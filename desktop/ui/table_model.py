"""A read-only table model that loads pages of a browse view in the background."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.services import browse
from desktop.services.browse import Kind, TableSpec
from desktop.services.database import Database
from desktop.ui.formatting import display
from desktop.ui.runner import Runner

PAGE_SIZE = 200
RowRole = Qt.ItemDataRole.UserRole + 1  # the whole row as a tuple
SortRole = Qt.ItemDataRole.UserRole + 2  # the native value

AnyIndex = QModelIndex | QPersistentModelIndex


class PagedTableModel(QAbstractTableModel):
    """Rows of one browse view, fetched `PAGE_SIZE` at a time as the view scrolls."""

    #: Emitted after each page arrives, with the number of rows now loaded.
    page_loaded = Signal(int)
    #: Emitted when a page fails to load, with a message for people.
    load_failed = Signal(str)

    def __init__(self, spec: TableSpec, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._runner = runner
        self._columns = [c for c in spec.columns if c.visible]
        self._column_index = {c.key: i for i, c in enumerate(spec.columns)}
        self._rows: list[tuple[Any, ...]] = []
        self._database: Database | None = None
        self._last_id: int | None = None
        self._complete = True
        self._loading = False
        self.estimated_total = 0

    # -- data source ----------------------------------------------------------------------

    def set_database(self, database: Database | None) -> None:
        self.beginResetModel()
        self._rows = []
        self._database = database
        self._last_id = None
        self._complete = database is None
        self._loading = False
        self.endResetModel()
        self._runner.forget(self._key)
        if database is not None:
            self._runner.submit(
                partial(browse.estimated_total, database.engine, self.spec),
                on_success=self._on_total,
                on_failure=self._on_failure,
            )
            self._request_page()

    @property
    def _key(self) -> str:
        return f"page:{self.spec.name}:{id(self)}"

    def _request_page(self) -> None:
        if self._database is None or self._loading or self._complete:
            return
        self._loading = True
        self._runner.submit(
            partial(browse.fetch_page, self._database.engine, self.spec, self._last_id, PAGE_SIZE),
            on_success=self._on_page,
            on_failure=self._on_failure,
            key=self._key,
        )

    def _on_page(self, page: browse.Page) -> None:
        self._loading = False
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()
        self._last_id = page.last_id
        self._complete = page.complete
        self.page_loaded.emit(len(self._rows))

    def _on_failure(self, exc: BaseException) -> None:
        self._loading = False
        self._complete = True
        self.load_failed.emit(f"Could not load {self.spec.title.lower()}: {exc}")

    def _on_total(self, total: int) -> None:
        self.estimated_total = total

    @property
    def is_loading(self) -> bool:
        return self._loading

    # -- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._complete and not self._loading

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self._request_page()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self._columns):
                return self._columns[section].title
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not (0 <= index.column() < len(self._columns)):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        value = row[self._column_index[column.key]]
        if role == Qt.ItemDataRole.DisplayRole:
            return display(column.kind, value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind is Kind.INT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column.kind is Kind.MASKED:
            return "Credentials are hidden. Open the plugin to reveal them deliberately."
        if role == RowRole:
            return row
        if role == SortRole:
            return value
        return None

    def row_values(self, row: int) -> dict[str, Any]:
        """The record at `row` as a plain dict keyed by column key."""
        values = self._rows[row]
        return {c.key: values[i] for i, c in enumerate(self.spec.columns)}
