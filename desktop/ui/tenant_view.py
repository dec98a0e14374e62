"""Tenant-first navigation: organizations beside the selected one's users and plugins."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.core.events import DELETE, RowsChanged
from desktop.core.user_status import UserStatus
from desktop.services.columns import TABLES
from desktop.ui.runner import Runner
from desktop.ui.table_model import PagedTableModel
from desktop.ui.table_view import BrowseTab

if TYPE_CHECKING:
    from desktop.services.browse import OrganizationSummary
    from desktop.services.database import Database


class History:
    """Back/forward over what was looked at (organization ids)."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.position = -1

    def visit(self, item: int) -> None:
        if 0 <= self.position < len(self.items) and self.items[self.position] == item:
            return
        del self.items[self.position + 1 :]
        self.items.append(item)
        self.position = len(self.items) - 1

    def forget(self, item: int) -> None:
        """Drop `item` (a deleted organization) wherever it was looked at."""
        before = self.items[: self.position + 1]
        self.items = [i for i in self.items if i != item]
        self.position = min(len([i for i in before if i != item]), len(self.items)) - 1

    def can_back(self) -> bool:
        return self.position > 0

    def can_forward(self) -> bool:
        return self.position < len(self.items) - 1

    def back(self) -> int:
        self.position -= 1
        return self.items[self.position]

    def forward(self) -> int:
        self.position += 1
        return self.items[self.position]


def describe(summary: OrganizationSummary) -> str:
    parts = [f"{summary.users:,} users"]
    status = ", ".join(
        f"{summary.by_status[s]:,} {s.label.lower()}" for s in UserStatus if summary.by_status[s]
    )
    if status:
        parts[0] += f" ({status})"
    if summary.system_users:
        parts.append(f"{summary.system_users:,} system")
    parts.append(f"{summary.plugins:,} plugins")
    return " · ".join(parts)


class TenantView(QWidget):
    """Left: organizations (search, sort). Right: the selected one, its users and plugins."""

    #: The selected organization is shown (summary and first rows requested): (id).
    organization_shown = Signal(int)
    #: Its users and plugins have both shown their first rows: (id).
    organization_loaded = Signal(int)
    message = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tenantView")
        self.runner = runner
        self.database: Database | None = None
        self.history = History()
        self.current: int | None = None
        self.current_name = ""
        self._waiting: set[str] = set()

        self.organizations = BrowseTab(
            PagedTableModel(TABLES["organizations"], runner, self), runner, self
        )
        self.organizations.view.selectionModel().selectionChanged.connect(self._on_selected)

        self.back_button = self._nav_button("◀ Back", "tenantBack", self.back)
        self.forward_button = self._nav_button("Forward ▶", "tenantForward", self.forward)
        self.title = QLabel("Select an organization to see its users and plugins.", self)
        self.title.setObjectName("tenantTitle")
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel(self)
        self.summary.setObjectName("tenantSummary")
        self.summary.setAccessibleName("Organization summary")

        self.users = BrowseTab(
            PagedTableModel(TABLES["users"], runner, self), runner, self, fixed_organization=True
        )
        self.plugins = BrowseTab(
            PagedTableModel(TABLES["plugins"], runner, self), runner, self, fixed_organization=True
        )
        for tab in (self.organizations, self.users, self.plugins):
            tab.message.connect(self.message)
        self.users.model.page_loaded.connect(lambda _: self._loaded("users"))
        self.plugins.model.page_loaded.connect(lambda _: self._loaded("plugins"))
        self.users.model.total_changed.connect(self._update_tab_titles)
        self.plugins.model.total_changed.connect(self._update_tab_titles)
        self.detail_tabs = QTabWidget(self)
        self.detail_tabs.setObjectName("tenantDetailTabs")
        self.detail_tabs.setAccessibleName("Users and plugins of the organization")
        self.detail_tabs.addTab(self.users, "Users")
        self.detail_tabs.addTab(self.plugins, "Plugins")

        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addWidget(self.forward_button)
        nav.addSpacing(8)
        nav.addWidget(self.title, 1)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(6, 6, 0, 0)
        detail_layout.addLayout(nav)
        detail_layout.addWidget(self.summary)
        detail_layout.addWidget(self.detail_tabs, 1)
        self.detail = detail
        self.detail_tabs.setEnabled(False)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.organizations)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([460, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._update_nav()

    def _nav_button(self, text: str, name: str, slot: object) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(name)
        button.setAccessibleName(text.strip("◀▶ "))
        button.clicked.connect(slot)
        return button

    @property
    def model(self) -> PagedTableModel:
        return self.organizations.model

    def set_database(self, database: Database | None) -> None:
        self.database = database
        self.organizations.set_database(database)
        self.history = History()
        self.current = None
        self.title.setText("Select an organization to see its users and plugins.")
        self.summary.setText("")
        self.users.set_database(None)
        self.plugins.set_database(None)
        self.detail_tabs.setEnabled(False)
        self._update_nav()

    def forget_organization(self, organization_id: int) -> None:
        """The organization was deleted: its pane and the Back/Forward history let go of it."""
        self.history.forget(organization_id)
        if self.current != organization_id:
            self._update_nav()
            return
        self.current = None
        self.users.set_database(None)
        self.plugins.set_database(None)
        self.detail_tabs.setEnabled(False)
        self.title.setText(f"Organization {organization_id} was deleted.")
        self.summary.setText("")
        self._update_nav()

    # -- navigation -------------------------------------------------------------------------

    def _on_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {index.row() for index in selected.indexes()}
        if len(rows) != 1:
            return
        record = self.organizations.model.record(rows.pop())
        if record is not None:
            self.show_organization(int(record["id"]))

    def show_organization(self, organization_id: int, *, remember: bool = True) -> None:
        if self.database is None:
            return
        if remember:
            self.history.visit(organization_id)
        self.current = organization_id
        self._update_nav()
        self.title.setText(f"Organization {organization_id}")
        self.summary.setText("Loading…")
        self.detail_tabs.setEnabled(True)
        self._waiting = {"users", "plugins"}
        for tab in (self.users, self.plugins):
            tab.export.subject = ""  # its name once the summary comes (its id until then)
            state = tab.filters.apply(tab.model.state).with_(organization_id=organization_id)
            if tab.model.database is None:
                tab.model.set_state(state)
                tab.set_database(self.database)
            else:
                tab.model.set_state(state)
        self._load_summary(organization_id)
        self.organization_shown.emit(organization_id)

    def apply_change(self, change: RowsChanged) -> None:
        """A committed write changed rows: the list, the open organization's tables and its
        summary follow (each table refreshes only what the change touched)."""
        self.organizations.model.apply_change(change)
        for tab in (self.users, self.plugins):
            tab.model.apply_change(change)
        current = self.current
        if current is None or self.database is None:
            return
        if change.table == "organization" and current in change.ids:
            if change.action == DELETE:
                self.forget_organization(current)
            else:
                self._load_summary(current)
        elif change.table in ("user", "plugin"):
            self._load_summary(current)

    def _load_summary(self, organization_id: int) -> None:
        assert self.database is not None

        # The summary reads on its own pooled connection, beside the two first pages.
        self.runner.submit(
            partial(self.database.organization_summary, organization_id),
            on_success=self._on_summary,
            on_failure=self._on_summary_failed,
            key=f"tenant-summary:{id(self)}",
            pool="net",
        )

    def _loaded(self, which: str) -> None:
        if which in self._waiting:
            self._waiting.discard(which)
            if not self._waiting and self.current is not None:
                self.organization_loaded.emit(self.current)

    def _on_summary(self, summary: OrganizationSummary) -> None:
        if summary.id != self.current:
            return
        self.current_name = summary.name
        for tab in (self.users, self.plugins):  # their exports are named after it
            tab.export.subject = summary.name
        self.title.setText(f"{summary.name}  (organization {summary.id})")
        self.summary.setText(describe(summary))

    def opened(self) -> tuple[int, str] | None:
        """The organization shown on the right (id, name), if any."""
        if self.current is None:
            return None
        return self.current, self.current_name or f"organization {self.current}"

    def focused_tab(self) -> BrowseTab:
        """The detail table when it has focus or an organization is open, else the list."""
        focus = self.focusWidget()
        for tab in (self.users, self.plugins):
            if focus is not None and tab.isAncestorOf(focus):
                return tab
        if self.current is not None and self.detail_tabs.hasFocus():
            current = self.detail_tabs.currentWidget()
            if isinstance(current, BrowseTab):
                return current
        return self.organizations

    def _on_summary_failed(self, exc: BaseException) -> None:
        text = exc.message if isinstance(exc, KnownError) else f"Could not load: {exc}"
        self.summary.setText(text)
        self.message.emit(text)

    def _update_tab_titles(self) -> None:
        for index, tab in enumerate((self.users, self.plugins)):
            title = tab.model.spec.title
            if tab.model.database is not None and not tab.model.is_loading:
                title += f" ({tab.model.total.describe()})"
            self.detail_tabs.setTabText(index, title)

    def back(self) -> None:
        if self.history.can_back():
            self.show_organization(self.history.back(), remember=False)

    def forward(self) -> None:
        if self.history.can_forward():
            self.show_organization(self.history.forward(), remember=False)

    def _update_nav(self) -> None:
        self.back_button.setEnabled(self.history.can_back())
        self.forward_button.setEnabled(self.history.can_forward())
