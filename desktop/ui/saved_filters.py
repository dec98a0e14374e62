"""Named saved filters of a browse view, per connection profile, from a button on its bar."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QComboBox, QInputDialog, QLineEdit, QMenu

from desktop.core import view_state_codec
from desktop.core.ui_state import UiStateStore
from desktop.core.view_state import ViewState
from desktop.ui import icons
from desktop.ui.filters import FilterBar
from desktop.ui.table_view import BrowseTab

if TYPE_CHECKING:
    from desktop.services.database import Database

NOT_CONNECTED = "Connect to a database to use saved filters"


def profile_key(database: Database | None) -> str | None:
    """Whose saved filters: the profile's name, or the demo/URL label; None when offline."""
    if database is None:
        return None
    if database.profile is not None:
        return f"profile:{database.profile.name}"
    return f"{database.environment}:{database.label}"


def _select(combo: QComboBox | None, value: object, add_missing: bool = False) -> None:
    if combo is None:
        return
    for index in range(combo.count()):
        data = combo.itemData(index)
        if data is value or (type(data) is type(value) and data == value):
            combo.setCurrentIndex(index)
            return
    if add_missing and value is not None:
        # A data source not listed yet (the list loads after connecting): keep it chosen.
        combo.addItem(str(value), value)
        combo.setCurrentIndex(combo.count() - 1)
        return
    combo.setCurrentIndex(0)


def show_in_bar(bar: FilterBar, state: ViewState) -> None:
    """Set the bar's widgets to `state`'s search and filters, without emitting changes."""
    widgets: list[QObject] = [bar.search]
    widgets += [w for w in (bar.status, bar.kind, bar.source, bar.organization) if w is not None]
    for pair in (bar.joined, bar.login):
        widgets += list(pair or ())
    blocked = [w.blockSignals(True) for w in widgets]
    try:
        bar.search.setText(state.search)
        status = next(iter(state.statuses)) if len(state.statuses) == 1 else None
        _select(bar.status, status)
        _select(bar.kind, state.is_system)
        _select(bar.source, state.data_source, add_missing=True)
        if bar.organization is not None:
            organization = state.organization_id
            bar.organization.setText("" if organization is None else str(organization))
        if bar.joined is not None:
            bar.joined[0].set_bound(state.joined_from)
            bar.joined[1].set_bound(state.joined_to)
        if bar.login is not None:
            bar.login[0].set_bound(state.login_from)
            bar.login[1].set_bound(state.login_to)
    finally:
        for widget, was in zip(widgets, blocked, strict=True):
            widget.blockSignals(was)


def filters_json(tab: BrowseTab) -> dict[str, object]:
    """The tab's current search and filters (not its sort; not a tenant view's organization)."""
    data = view_state_codec.to_json(tab.filters.apply(tab.model.state), sort=False)
    if tab.filters.organization is None:
        data.pop("organization_id", None)
    return data


class SavedFilters(QObject):
    """The "Saved filters" button of one view: save as, apply, delete (per profile)."""

    #: A message for the status bar.
    message = Signal(str)

    def __init__(
        self,
        tab: BrowseTab,
        view_key: str,
        store: UiStateStore,
        database: Callable[[], Database | None],
    ) -> None:
        super().__init__(tab)
        self.tab = tab
        self.view_key = view_key
        self.store = store
        self.database = database
        # In the search box (no width taken from the filter row): its menu pops up below.
        self.action = tab.filters.search.addAction(
            QIcon(), QLineEdit.ActionPosition.TrailingPosition
        )
        self.action.setObjectName(f"{tab.filters.objectName()}SavedAction")
        self.action.setText("Saved filters")
        self.action.setToolTip("Saved filters: save these filters under a name, or apply one")
        self.action.triggered.connect(self.popup)
        icons.name_line_edit_button(
            self.action, f"{tab.filters.objectName()}SavedButton", "Saved filters"
        )
        self.menu = QMenu(tab.filters.search)
        self.menu.setObjectName(f"{tab.filters.objectName()}SavedMenu")
        self.menu.aboutToShow.connect(self._fill_menu)

    def popup(self) -> None:
        search = self.tab.filters.search
        self.menu.popup(search.mapToGlobal(search.rect().bottomRight()) - QPoint(200, 0))

    @property
    def profile(self) -> str | None:
        return profile_key(self.database())

    def names(self) -> list[str]:
        profile = self.profile
        return [] if profile is None else self.store.saved_filter_names(profile, self.view_key)

    def save_as(self, name: str) -> str | None:
        profile = self.profile
        if profile is None:
            self.message.emit(NOT_CONNECTED)
            return None
        try:
            saved = self.store.save_filter(profile, self.view_key, name, filters_json(self.tab))
        except ValueError as exc:  # a blank name, or control or invisible characters
            self.message.emit(str(exc))
            return None
        self.store.save()
        self.message.emit(f"Saved the filters as “{saved}”.")
        return saved

    def apply(self, name: str) -> bool:
        profile = self.profile
        data = None if profile is None else self.store.saved_filter(profile, self.view_key, name)
        if data is None:
            self.message.emit(f"No saved filter “{name}”.")
            return False
        current = self.tab.model.state
        base = ViewState(current.view, sort=current.sort, descending=current.descending)
        show_in_bar(self.tab.filters, view_state_codec.from_json(base, data))
        self.tab.filters.changed.emit()
        self.message.emit(f"Applied the saved filter “{name}”.")
        return True

    def delete(self, name: str) -> bool:
        profile = self.profile
        if profile is None or not self.store.delete_filter(profile, self.view_key, name):
            return False
        self.store.save()
        self.message.emit(f"Deleted the saved filter “{name}”.")
        return True

    def ask_name(self) -> None:
        dialog = QInputDialog(self.tab)
        dialog.setObjectName("saveFilterDialog")
        dialog.setWindowTitle("Save filters")
        dialog.setLabelText(
            f"Name for these {self.tab.model.spec.title.lower()} filters"
            " (saved for this connection only):"
        )
        dialog.textValueSelected.connect(self.save_as)
        dialog.open()

    def _fill_menu(self) -> None:
        self.menu.clear()
        if self.profile is None:
            self.menu.addAction(NOT_CONNECTED).setEnabled(False)
            return
        save = self.menu.addAction("Save current filters as…", self.ask_name)
        save.setObjectName("saveFiltersAction")
        names = self.names()
        if not names:
            self.menu.addAction("No saved filters for this connection yet").setEnabled(False)
            return
        self.menu.addSeparator()
        for name in names:
            self.menu.addAction(name, partial(self.apply, name))
        self.menu.addSeparator()
        delete = self.menu.addMenu("Delete saved filter")
        for name in names:
            delete.addAction(name, partial(self.delete, name))
