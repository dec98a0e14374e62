"""Jump to a quick-find hit: an organization in the tenant view, a user or plugin in its tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt

from desktop.services.quick_find import Hit
from desktop.ui.table_view import BrowseTab

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

#: How many loaded rows to look through for the record once its filtered view has loaded.
SCAN_ROWS = 200


def go_to(window: MainWindow, hit: Hit) -> None:
    if hit.kind == "organization":
        window.show_organization(hit.id)
        window.tenants.organizations.view.setFocus(Qt.FocusReason.OtherFocusReason)
        return
    tab = window.browse_tabs["users" if hit.kind == "user" else "plugins"]
    window.tabs.setCurrentWidget(tab)
    show_record(tab, hit.id, hit.search, hit.organization_id)
    tab.message.emit(
        f"{hit.kind.capitalize()} #{hit.id}: search and organization filter set to find it"
        " (Clear filters shows all)."
    )


def show_record(tab: BrowseTab, record_id: int, search: str, organization_id: int) -> None:
    """Filter `tab` down to the record (its search text within its organization, other
    filters cleared), then select it and put the focus on it once the rows are in."""
    filters = tab.filters
    filters.blockSignals(True)
    filters.reset()
    filters.blockSignals(False)
    filters.search.setText(search)
    if filters.organization is not None:
        filters.organization.setText(str(organization_id))
    model = tab.model
    state = filters.apply(model.state)
    if state == model.state and not model.is_loading:
        filters.flush()
        select_record(tab, record_id)
        return

    def loaded(_rows: int) -> None:
        model.page_loaded.disconnect(loaded)
        select_record(tab, record_id)

    model.page_loaded.connect(loaded)
    filters.flush()  # applies the typed text now
    if model.state != state:
        filters.changed.emit()


def select_record(tab: BrowseTab, record_id: int) -> bool:
    model = tab.model
    for row in range(min(model.rowCount(), SCAN_ROWS)):
        record = model.record(row)
        if record is not None and int(record["id"]) == record_id:
            index = model.index(row, 0)
            tab.view.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            tab.view.scrollTo(index)
            tab.view.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
    tab.message.emit(f"#{record_id} is not among the rows shown (it may have changed).")
    return False
