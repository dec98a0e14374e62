"""Search box (debounced) and filter widgets of a browse view; they edit its ViewState."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.core.user_status import UserStatus
from desktop.core.view_state import ViewState

DEBOUNCE_MS = 150
SEARCH_HINTS = {
    "users": "Search name, email or Firebase UID…",
    "plugins": "Search plugin title…",
    "organizations": "Search organization name…",
}
ANY_DATE = QDate(1970, 1, 1)


class DateBound(QDateEdit):
    """A date that may be left empty ("any"): the minimum date stands for no bound."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(ANY_DATE)
        self.setSpecialValueText("any")
        self.setDate(ANY_DATE)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt override
        """Tab moves on to the next widget (arrows move between day, month and year); Qt's
        own section-by-section Tab never leaves an "any" date: a keyboard trap."""
        return QWidget.focusNextPrevChild(self, next)

    def bound(self, end_of_day: bool) -> datetime | None:
        if self.date() == ANY_DATE:
            return None
        d = self.date()
        moment = datetime.combine(date(d.year(), d.month(), d.day()), time.min).astimezone()
        return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment

    def set_bound(self, value: datetime | None) -> None:
        if value is None:
            self.setDate(ANY_DATE)
            return
        local = value.astimezone()
        self.setDate(QDate(local.year, local.month, local.day))


class FilterBar(QWidget):
    """The search box and the filters that apply to one view."""

    #: The user changed the search or a filter (debounced for typing).
    changed = Signal()

    def __init__(
        self, view: str, *, fixed_organization: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.setObjectName(f"{view}Filters")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.changed)

        self.search = QLineEdit(self)
        self.search.setObjectName(f"{view}Search")
        self.search.setAccessibleName(f"Search {view}")
        self.search.setPlaceholderText(SEARCH_HINTS[view])
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.search.textChanged.connect(lambda _: self._debounce.start())

        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 2)
        grid.setHorizontalSpacing(6)
        top = QHBoxLayout()
        top.addWidget(self.search, 2)
        grid.addLayout(top, 0, 0)

        self.status: QComboBox | None = None
        self.kind: QComboBox | None = None
        self.source: QComboBox | None = None
        self.organization: QLineEdit | None = None
        self.joined: tuple[DateBound, DateBound] | None = None
        self.login: tuple[DateBound, DateBound] | None = None

        if view == "users":
            self.status = self._combo(top, "Status", "userStatusFilter", ["Any status"])
            for status in UserStatus:
                self.status.addItem(status.label, int(status))
            self.kind = self._combo(top, "Accounts", "userKindFilter", [])
            for text, value in (
                ("People and system", None),
                ("People only", False),
                ("System only", True),
            ):
                self.kind.addItem(text, value)
        if view == "plugins":
            self.source = self._combo(top, "Data source", "pluginSourceFilter", ["Any source"])
        if view in ("users", "plugins") and not fixed_organization:
            top.addWidget(QLabel("Organization ID", self))
            self.organization = QLineEdit(self)
            self.organization.setObjectName(f"{view}OrganizationFilter")
            self.organization.setAccessibleName("Organization ID filter")
            self.organization.setPlaceholderText("any")
            self.organization.setValidator(QIntValidator(1, 2**31 - 1, self))
            self.organization.setMaximumWidth(90)
            self.organization.textChanged.connect(lambda _: self._debounce.start())
            top.addWidget(self.organization)
        if view == "users":
            dates = QHBoxLayout()
            self.joined = self._range(dates, "Joined", "joined")
            dates.addSpacing(16)
            self.login = self._range(dates, "Last login", "login")
            dates.addStretch(1)
            grid.addLayout(dates, 1, 0)
        self.clear = QPushButton("Clear filters", self)
        self.clear.setObjectName(f"{view}ClearFilters")
        self.clear.clicked.connect(self.reset)
        top.addWidget(self.clear)

    def _combo(self, layout: QHBoxLayout, label: str, name: str, items: list[str]) -> QComboBox:
        layout.addWidget(QLabel(label, self))
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setAccessibleName(f"{label} filter")
        for item in items:
            combo.addItem(item, None)
        combo.currentIndexChanged.connect(lambda _: self.changed.emit())
        layout.addWidget(combo)
        return combo

    def _range(self, layout: QHBoxLayout, label: str, name: str) -> tuple[DateBound, DateBound]:
        layout.addWidget(QLabel(f"{label} from", self))
        low = DateBound(f"{name}From", self)
        layout.addWidget(low)
        layout.addWidget(QLabel("to", self))
        high = DateBound(f"{name}To", self)
        layout.addWidget(high)
        for edit in (low, high):
            edit.dateChanged.connect(lambda _: self._debounce.start())
        return low, high

    def set_sources(self, sources: list[str]) -> None:
        if self.source is None:
            return
        current = self.source.currentData()
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem("Any source", None)
        for source in sources:
            self.source.addItem(source, source)
        index = self.source.findData(current)
        self.source.setCurrentIndex(max(index, 0))
        self.source.blockSignals(False)

    def flush(self) -> None:
        """Apply the search now (Enter in the search box): pending typing, or the same search
        again, which retries a load that failed (the model ignores an unchanged state else)."""
        self._debounce.stop()
        self.changed.emit()

    def reset(self) -> None:
        widgets = [
            w
            for w in (self.search, self.status, self.kind, self.source, self.organization)
            if w is not None
        ]
        for w in widgets:
            w.blockSignals(True)
        self.search.clear()
        for combo in (self.status, self.kind, self.source):
            if combo is not None:
                combo.setCurrentIndex(0)
        if self.organization is not None:
            self.organization.clear()
        for pair in (self.joined, self.login):
            for edit in pair or ():
                edit.blockSignals(True)
                edit.set_bound(None)
                edit.blockSignals(False)
        for w in widgets:
            w.blockSignals(False)
        self._debounce.stop()
        self.changed.emit()

    def apply(self, state: ViewState) -> ViewState:
        """`state` with this bar's search and filters."""
        changes: dict[str, object] = {"search": self.search.text()}
        if self.status is not None:
            value = self.status.currentData()
            changes["statuses"] = frozenset() if value is None else frozenset({int(value)})
        if self.kind is not None:
            changes["is_system"] = self.kind.currentData()
        if self.source is not None:
            changes["data_source"] = self.source.currentData()
        if self.organization is not None:
            text = self.organization.text().strip()
            changes["organization_id"] = int(text) if text else None
        if self.joined is not None:
            changes["joined_from"] = self.joined[0].bound(False)
            changes["joined_to"] = self.joined[1].bound(True)
        if self.login is not None:
            changes["login_from"] = self.login[0].bound(False)
            changes["login_to"] = self.login[1].bound(True)
        return state.with_(**changes)

    def describe(self, state: ViewState) -> str:
        """A short summary of the active filters, for the status line."""
        parts = []
        if state.search.strip():
            parts.append(f"matching “{state.search.strip()[:40]}”")
        if state.statuses:
            names = " or ".join(UserStatus(s).label.lower() for s in sorted(state.statuses))
            parts.append(f"with status {names}")
        if state.is_system is not None:
            parts.append("system accounts only" if state.is_system else "people only")
        if state.data_source:
            parts.append(f"source {state.data_source}")
        if state.organization_id is not None and self.organization is not None:
            parts.append(f"organization {state.organization_id}")
        for label, low, high in (
            ("joined", state.joined_from, state.joined_to),
            ("last login", state.login_from, state.login_to),
        ):
            if low or high:
                a = low.astimezone().date().isoformat() if low else "…"
                b = high.astimezone().date().isoformat() if high else "…"
                parts.append(f"{label} {a} to {b}")
        return ", ".join(parts)
