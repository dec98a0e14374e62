"""A browse tab: filters, a table view over a `PagedTableModel`, totals, copy and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.ui.cell_delegate import CellDelegate
from desktop.ui.export import ExportPanel
from desktop.ui.filters import FilterBar
from desktop.ui.runner import Runner
from desktop.ui.table_model import PagedTableModel

if TYPE_CHECKING:
    from desktop.services.database import Database

COLUMN_WIDTHS = {
    "id": 80,
    "name": 190,
    "email": 300,
    "organization": 200,
    "status": 80,
    "is_system": 70,
    "firebase_id": 240,
    "date_joined": 130,
    "last_login": 130,
    "title": 200,
    "data_source": 120,
    "credentials": 260,
    "properties": 320,
    "created_at": 130,
    "users": 80,
    "plugins": 80,
}


def tsv(rows: list[list[str]]) -> str:
    """Rows of cells as tab-separated text (tabs and newlines inside cells become spaces)."""
    clean = (
        "\t".join(cell.replace("\t", " ").replace("\r", " ").replace("\n", " ") for cell in row)
        for row in rows
    )
    return "\n".join(clean) + "\n"


class BrowseTab(QWidget):
    #: "Go to organization" was asked for, with the organization's id.
    organization_requested = Signal(int)
    #: A message for the status bar.
    message = Signal(str)

    def __init__(
        self,
        model: PagedTableModel,
        runner: Runner,
        parent: QWidget | None = None,
        *,
        fixed_organization: bool = False,
    ) -> None:
        super().__init__(parent)
        name = model.spec.name
        self.setObjectName(f"{name}Tab")
        self.model = model
        self.runner = runner
        self.fixed_organization = fixed_organization
        self.filters = FilterBar(name, fixed_organization=fixed_organization, parent=self)
        self.view = QTableView(self)
        self.view.setObjectName(f"{name}Table")
        self.view.setAccessibleName(f"{model.spec.title} table")
        self.view.setModel(model)
        self.view.setItemDelegate(CellDelegate(model, self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        for column in range(model.columnCount()):
            width = COLUMN_WIDTHS.get(model.column_key(column))
            if width:
                self.view.setColumnWidth(column, width)
            if fixed_organization and model.column_key(column) == "organization":
                self.view.setColumnHidden(column, True)  # the same for every row here
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.copy_action = QAction("Copy cells", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_cells)
        self.view.addAction(self.copy_action)
        self.copy_rows_action = QAction("Copy rows with headers", self)
        self.copy_rows_action.triggered.connect(self.copy_rows)
        self.goto_action = QAction("Go to organization", self)
        self.goto_action.setShortcut(QKeySequence("Ctrl+G"))
        self.goto_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.goto_action.triggered.connect(self.go_to_organization)
        self.view.addAction(self.goto_action)

        self.state = QLabel(self)
        self.state.setObjectName(f"{name}State")
        self.state.setAccessibleName(f"{model.spec.title} totals")
        self.goto_button = QPushButton("Go to organization", self)
        self.goto_button.setObjectName(f"{name}GoToOrganization")
        self.goto_button.setToolTip("Show the selected row's organization, its users and plugins")
        self.goto_button.clicked.connect(self.go_to_organization)
        self.goto_button.setVisible(name in ("users", "plugins") and not fixed_organization)
        self.export = ExportPanel(model, runner, self)
        self.export.finished.connect(lambda text, _path: self.message.emit(text))
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 2, 6, 4)
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.goto_button)
        bottom.addWidget(self.export)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

        self.filters.changed.connect(self._apply_filters)
        self.filters.search.returnPressed.connect(self.filters.flush)
        model.total_changed.connect(self._show_total)
        model.state_changed.connect(self._on_state_changed)
        model.load_failed.connect(self._on_failed)
        model.modelReset.connect(self._show_total)
        # Lay the rows out now, not from Qt's zero-delay timer after the reset. In the
        # 1M-user benchmark that timer painted the whole grid a second time after a search
        # (10-20 ms); a 2,000-row test database does not show it, so no test pins it.
        model.modelReset.connect(self.view.doItemsLayout)
        model.loading_started.connect(self._on_state_changed)
        self._show_total()

    # -- data ---------------------------------------------------------------------------

    def set_delegate(self, delegate: QStyledItemDelegate) -> None:
        """Paint (and edit) the grid's cells with `delegate`; the one it replaces goes (it
        also watched the view's font)."""
        previous = self.view.itemDelegate()
        self.view.setItemDelegate(delegate)
        if previous is not None:
            previous.deleteLater()

    def set_database(self, database: Database | None) -> None:
        self.model.set_database(database)
        if database is not None and self.filters.source is not None:
            self.runner.submit(
                database.data_sources,
                on_success=self.filters.set_sources,
                on_failure=self._sources_failed,
                key=f"sources:{id(self)}",
                pool="read",
            )

    def _scrolled(self) -> None:
        view = self.view
        last = view.rowAt(view.viewport().height() - 1)
        self.model.set_visible_rows(view.rowAt(0), last if last >= 0 else self.model.rowCount() - 1)

    def _sources_failed(self, exc: BaseException) -> None:
        """The data-source filter stays usable (typed values); the table says why it's empty."""
        detail = exc.message if isinstance(exc, KnownError) else str(exc).splitlines()[0]
        self.message.emit(f"Could not load the list of data sources: {detail}")

    def _apply_filters(self) -> None:
        self.model.set_state(self.filters.apply(self.model.state))

    def _on_state_changed(self) -> None:
        column = self.model.sort_column()
        order = (
            Qt.SortOrder.DescendingOrder
            if self.model.state.descending
            else Qt.SortOrder.AscendingOrder
        )
        header = self.view.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(column, order)
        header.blockSignals(False)
        self.state.setText("Searching…" if self.model.state.search.strip() else "Loading…")

    def _on_failed(self, message: str) -> None:
        self.state.setText(message)
        self.message.emit(message)

    def _show_total(self) -> None:
        model = self.model
        if model.database is None:
            # An organization's pane has no database until an organization is chosen.
            self.state.setText(
                "Select an organization to see its rows."
                if self.fixed_organization
                else "Not connected."
            )
            return
        if model.is_loading:
            self.state.setText("Loading…")
            return
        noun = model.spec.title.lower()
        total = model.total
        described = self.filters.describe(model.state)
        if total.value == 0:
            text = f"No {noun}" + (f" {described}" if described else " in this database") + "."
        else:
            text = f"{total.describe().capitalize()} {noun}"
            if described:
                text += f" {described}"
            sort_title = next(
                (c.title for c in model.spec.columns if c.key == model.state.sort), "ID"
            )
            arrow = "descending" if model.state.descending else "ascending"
            text += f" · sorted by {sort_title.lower()}, {arrow}"
        self.state.setText(text)

    # -- copy and navigation --------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.view.selectionModel().selectedIndexes()})

    def copy_cells(self) -> str:
        """Selected cells as TSV on the clipboard (as shown: credentials stay masked)."""
        indexes = self.view.selectionModel().selectedIndexes()
        by_row: dict[int, dict[int, QModelIndex]] = {}
        for index in indexes:
            by_row.setdefault(index.row(), {})[index.column()] = index
        columns = sorted({index.column() for index in indexes})
        rows: list[list[str]] = []
        skipped = 0
        for row in sorted(by_row):
            if self.model.row_values(row) is None:
                skipped += 1
                continue
            rows.append(
                [str(by_row[row][c].data() or "") if c in by_row[row] else "" for c in columns]
            )
        return self._to_clipboard(rows, skipped)

    def copy_rows(self) -> str:
        """Whole selected rows with a header line, as TSV."""
        model = self.model
        header = [
            str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())
        ]
        rows: list[list[str]] = [header]
        skipped = 0
        for row in self.selected_rows():
            if model.row_values(row) is None:
                skipped += 1
                continue
            rows.append([str(model.index(row, c).data() or "") for c in range(model.columnCount())])
        return self._to_clipboard(rows, skipped, headers=1)

    def _to_clipboard(self, rows: list[list[str]], skipped: int, headers: int = 0) -> str:
        text = tsv(rows) if rows else ""
        QGuiApplication.clipboard().setText(text)
        copied = len(rows) - headers if len(rows) > headers else 0
        note = f" ({_rows(skipped)} still loading left out)" if skipped else ""
        self.message.emit(f"Copied {_rows(copied)}{note}")
        return text

    def go_to_organization(self) -> None:
        rows = self.selected_rows() or [self.view.currentIndex().row()]
        record = self.model.record(rows[0]) if rows and rows[0] >= 0 else None
        if record is None or record.get("organization_id") is None:
            self.message.emit("Select a loaded row first.")
            return
        self.organization_requested.emit(int(record["organization_id"]))

    def _context_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.addAction(self.copy_rows_action)
        if self.goto_button.isVisibleTo(self) or self.model.spec.name in ("users", "plugins"):
            menu.addAction(self.goto_action)
        menu.popup(self.view.viewport().mapToGlobal(point))


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
