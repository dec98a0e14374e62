"""A browse tab: a table view over a `PagedTableModel`, with an empty/loading state."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.table_model import PagedTableModel


class BrowseTab(QWidget):
    def __init__(self, model: PagedTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name = model.spec.name
        self.setObjectName(f"{name}Tab")
        self.model = model
        self.view = QTableView(self)
        self.view.setObjectName(f"{name}Table")
        self.view.setAccessibleName(f"{model.spec.title} table")
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(150)
        self.state = QLabel(self)
        self.state.setObjectName(f"{name}State")
        self.state.setAccessibleName(f"{model.spec.title} loading state")
        self.state.setStyleSheet("color: palette(mid); padding: 4px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addWidget(self.state)
        model.page_loaded.connect(self._on_loaded)
        model.load_failed.connect(self.state.setText)
        model.modelReset.connect(self._on_reset)
        self._on_reset()

    def _on_reset(self) -> None:
        self.state.setText("Loading…" if self.model.is_loading else "Not connected.")

    def _on_loaded(self, count: int) -> None:
        total = self.model.estimated_total
        if count == 0:
            self.state.setText(f"No {self.model.spec.title.lower()} in this database.")
        elif total > count:
            self.state.setText(f"{count:,} loaded of about {total:,}")
        else:
            self.state.setText(f"{count:,} {self.model.spec.title.lower()}")
        if count and self.view.columnWidth(0) == 150:
            self._fit_columns()

    def _fit_columns(self) -> None:
        for column in range(self.model.columnCount()):
            self.view.resizeColumnToContents(column)
            self.view.setColumnWidth(column, min(self.view.columnWidth(column) + 12, 360))
