"""Remembers the window across restarts: geometry, docks, splitters, and each view's
column widths, sort and filters (restored before the first load, saved on close)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject
from PySide6.QtWidgets import QApplication, QSplitter

from desktop.core import view_state_codec
from desktop.core.ui_state import UiStateStore
from desktop.ui.export import ExportMemory
from desktop.ui.saved_filters import SavedFilters, show_in_bar
from desktop.ui.table_view import BrowseTab

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

MIN_WIDTH, MAX_WIDTH = 20, 4000


def _to_text(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


def _from_text(value: object) -> QByteArray | None:
    if not isinstance(value, str) or not value:
        return None
    return QByteArray.fromBase64(value.encode("ascii", "ignore"))


def views_of(window: MainWindow) -> dict[str, BrowseTab]:
    """Every browse table of the window, by the key its settings are kept under."""
    return {
        "organizations": window.tenants.organizations,
        "users": window.browse_tabs["users"],
        "plugins": window.browse_tabs["plugins"],
        "tenant.users": window.tenants.users,
        "tenant.plugins": window.tenants.plugins,
    }


class WindowMemory(QObject):
    """Owns the state store for one main window; `restore()` at start, `save()` on close."""

    def __init__(self, window: MainWindow, store: UiStateStore) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.views = views_of(window)
        self.saved_filters = {
            key: SavedFilters(tab, key, store, lambda: window.database)
            for key, tab in self.views.items()
        }
        for saved in self.saved_filters.values():
            saved.message.connect(window.statusBar().showMessage)
        # One export folder and formula option for every view, remembered.
        export_memory = ExportMemory(store)
        for tab in self.views.values():
            tab.export.memory = export_memory
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.save)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.save()
        return False

    # -- restoring ------------------------------------------------------------------------

    def restore(self) -> None:
        """Apply what was remembered; anything unreadable is skipped with a log line."""
        saved = self.store.window
        geometry = _from_text(saved.get("geometry"))
        if geometry is not None and not self.window.restoreGeometry(geometry):
            log.info("Ignoring a remembered window geometry that Qt could not read")
        layout = _from_text(saved.get("layout"))
        if layout is not None and not self.window.restoreState(layout):
            log.info("Ignoring a remembered window layout that Qt could not read")
        splitters = saved.get("splitters")
        if isinstance(splitters, dict):
            for key, splitter in self._splitters().items():
                data = _from_text(splitters.get(key))
                if data is not None:
                    splitter.restoreState(data)
        for key, tab in self.views.items():
            self._restore_view(tab, self.store.view(key))

    def _restore_view(self, tab: BrowseTab, saved: dict[str, Any]) -> None:
        widths = saved.get("widths")
        if isinstance(widths, dict):
            for column in range(tab.model.columnCount()):
                width = widths.get(tab.model.column_key(column))
                if isinstance(width, int) and MIN_WIDTH <= width <= MAX_WIDTH:
                    tab.view.setColumnWidth(column, width)
        if "state" not in saved:
            return
        model = tab.model
        sorts = frozenset(c.key for c in model.spec.columns if c.sortable)
        state = view_state_codec.from_json(model.state, saved["state"], sorts)
        if tab.filters.organization is None:
            state = state.with_(organization_id=model.state.organization_id)
        show_in_bar(tab.filters, state)
        model.set_state(state)  # not connected yet: nothing loads until the database is set

    def _splitters(self) -> dict[str, QSplitter]:
        found: dict[str, QSplitter] = {}
        for index, splitter in enumerate(self.window.findChildren(QSplitter)):
            parent = splitter.parent()
            owner = parent.objectName() if parent is not None else ""
            found[splitter.objectName() or f"{owner}/{index}"] = splitter
        return found

    # -- saving ---------------------------------------------------------------------------

    def capture(self) -> None:
        window = self.window
        self.store.window["geometry"] = _to_text(window.saveGeometry())
        self.store.window["layout"] = _to_text(window.saveState())
        self.store.window["splitters"] = {
            key: _to_text(splitter.saveState()) for key, splitter in self._splitters().items()
        }
        for key, tab in self.views.items():
            model = tab.model
            widths = {
                model.column_key(c): tab.view.columnWidth(c)
                for c in range(model.columnCount())
                if not tab.view.isColumnHidden(c) and tab.view.columnWidth(c) > 0
            }
            state = view_state_codec.to_json(tab.filters.apply(model.state))
            if tab.filters.organization is None:
                state.pop("organization_id", None)
            self.store.set_view(key, {"widths": widths, "state": state})

    def save(self) -> None:
        self.capture()
        self.store.save()
