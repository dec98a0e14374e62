"""Ctrl+K: type a name, email or id; pick an organization, user or plugin; go there.

The search runs in the background through the runner (latest request wins: typing
cancels the previous query on the server); the list is driven from the keyboard
(arrows, Page Up/Down, Enter, Esc) with the cursor staying in the text box.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import Cancelled, KnownError
from desktop.services import quick_find
from desktop.services.database import Database
from desktop.services.quick_find import Hit
from desktop.ui.runner import Runner

DEBOUNCE_MS = 120
KEY = "quick-find"
HitRole = Qt.ItemDataRole.UserRole + 1
HEADINGS = {"organization": "Organizations", "user": "Users", "plugin": "Plugins"}
NAVIGATION_KEYS = {
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}


class HitDelegate(QStyledItemDelegate):
    """A hit in two lines: its title, and below it a smaller, dimmer detail line."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        hit = index.data(HitRole)
        if not isinstance(hit, Hit):
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else QApplication.style()
        option.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text = palette.highlightedText() if selected else palette.text()
        dim = palette.highlightedText() if selected else palette.placeholderText()
        rect = option.rect.adjusted(18, 3, -6, -3)
        painter.save()
        painter.setPen(text.color())
        painter.setFont(option.font)
        line = QFontMetrics(option.font).height()
        painter.drawText(rect.adjusted(0, 0, 0, -line), 0, hit.title)
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.88)
        painter.setFont(small)
        painter.setPen(dim.color())
        painter.drawText(rect.adjusted(0, line + 1, 0, 0), 0, hit.detail)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        if isinstance(index.data(HitRole), Hit):
            size.setHeight(QFontMetrics(option.font).height() * 2 + 8)
        return size


class QuickSwitcher(QDialog):
    #: The user picked a hit (Enter or double-click): (Hit).
    chosen = Signal(object)
    #: A search came back and its hits are listed: (number of hits).
    results_shown = Signal(int)

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quickSwitcher")
        self.setAccessibleName("Go to organization, user or plugin")
        self.setWindowTitle("Go to…")
        self.runner = runner
        self.database: Database | None = None
        self.hits: list[Hit] = []
        self._enter_pending = False
        self.resize(580, 480)

        self.input = QLineEdit(self)
        self.input.setObjectName("quickSwitcherInput")
        self.input.setAccessibleName("Name, email or id to find")
        self.input.setPlaceholderText("Organization, user or plugin: name, email or id")
        self.input.setClearButtonEnabled(True)
        font = self.input.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.input.setFont(font)
        self.input.installEventFilter(self)
        self.results = QListWidget(self)
        self.results.setObjectName("quickSwitcherResults")
        self.results.setAccessibleName("Matches")
        self.results.setUniformItemSizes(False)
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setAlternatingRowColors(False)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the cursor stays in the box
        self.results.itemActivated.connect(self._activate)
        self.results.itemDoubleClicked.connect(self._activate)
        self.state = QLabel(self)
        self.state.setObjectName("quickSwitcherState")
        self.state.setAccessibleName("Search state")
        self.state.setWordWrap(True)
        hint = QLabel("↑ ↓ to choose · Enter to go · Esc to close", self)
        hint.setObjectName("quickSwitcherHint")
        hint.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.input)
        layout.addWidget(self.state)
        layout.addWidget(self.results, 1)
        layout.addWidget(hint)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)
        self.input.textChanged.connect(lambda _: self._debounce.start())
        self.input.returnPressed.connect(self.choose_current)
        self._show_state()

    # -- opening ----------------------------------------------------------------------------

    def open_for(self, database: Database | None) -> None:
        if database is not self.database:
            self.database = database
            self._set_hits([])
            self.input.clear()
        self.input.selectAll()
        parent = self.parentWidget()
        if parent is not None:
            top = parent.mapToGlobal(parent.rect().topLeft())
            self.move(top.x() + (parent.width() - self.width()) // 2, top.y() + 80)
        self._show_state()
        self.show()
        self.raise_()
        self.activateWindow()
        self.input.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- searching ---------------------------------------------------------------------------

    def search_now(self) -> None:
        self._debounce.stop()
        text = self.input.text().strip()
        database = self.database
        if database is None or not _searchable(text):
            self._enter_pending = False
            self.runner.forget(KEY)
            self._set_hits([])
            self._show_state()
            return
        self.state.setText("Searching…")
        self.runner.submit(
            partial(database.quick_find, text),
            on_success=self._set_hits_and_report,
            on_failure=self._failed,
            key=KEY,
        )

    def _set_hits_and_report(self, hits: list[Hit]) -> None:
        self._set_hits(hits)
        self._show_state()
        self.results_shown.emit(len(hits))
        if self._enter_pending:
            self._enter_pending = False
            self.choose_current()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return
        if not isinstance(exc, KnownError):
            raise exc
        self._set_hits([])
        self.state.setText(exc.message)

    def _set_hits(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.results.clear()
        heading_font = QFont(self.results.font())
        heading_font.setBold(True)
        kind = None
        for hit in hits:
            if hit.kind != kind:
                kind = hit.kind
                heading = QListWidgetItem(HEADINGS[kind])
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)  # readable, never selected
                heading.setFont(heading_font)
                self.results.addItem(heading)
            item = QListWidgetItem(f"{hit.title} — {hit.detail}")  # read out as one line
            item.setData(HitRole, hit)
            item.setToolTip(hit.detail)
            self.results.addItem(item)
        first = self._rows()
        if first:
            self.results.setCurrentRow(first[0])

    def _rows(self) -> list[int]:
        return [
            row
            for row in range(self.results.count())
            if self.results.item(row).data(HitRole) is not None
        ]

    def _show_state(self) -> None:
        text = self.input.text().strip()
        if self.database is None:
            self.state.setText("Connect to a database first (Connection ▸ Connect…).")
        elif not _searchable(text):
            self.state.setText(
                f"Type at least {quick_find.MIN_SUBSTRING} characters of a name, email or"
                " plugin title, or an id."
            )
        elif not self.hits:
            self.state.setText(f"Nothing matches “{text[:60]}”.")
        else:
            counts = [
                f"{n} {HEADINGS[k].lower() if n != 1 else k}"
                for k in HEADINGS
                if (n := sum(1 for h in self.hits if h.kind == k))
            ]
            limited = any(
                sum(1 for h in self.hits if h.kind == k) >= quick_find.LIMIT for k in HEADINGS
            )
            more = f" (the first {quick_find.LIMIT} of each kind: type more to narrow)"
            self.state.setText(" · ".join(counts) + (more if limited else ""))

    # -- choosing ---------------------------------------------------------------------------

    def current_hit(self) -> Hit | None:
        item = self.results.currentItem()
        hit = item.data(HitRole) if item is not None else None
        return hit if isinstance(hit, Hit) else None

    def choose_current(self) -> None:
        if self._debounce.isActive():
            self._enter_pending = True  # Enter before the search ran: go to its first hit
            self.search_now()
            return
        hit = self.current_hit()
        if hit is not None:
            self.hide()
            parent = self.parentWidget()
            if parent is not None:
                parent.activateWindow()  # the keyboard goes back to where the hit is shown
            self.chosen.emit(hit)

    def _activate(self, item: QListWidgetItem) -> None:
        self.results.setCurrentItem(item)
        self.choose_current()

    def move_selection(self, key: int) -> None:
        rows = self._rows()
        if not rows:
            return
        current = self.results.currentRow()
        position = rows.index(current) if current in rows else -1
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -5}.get(Qt.Key(key), 5)
        position = max(0, min(len(rows) - 1, position + step))
        self.results.setCurrentRow(rows[position])
        self.results.scrollToItem(self.results.item(rows[position]))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            watched is self.input
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in NAVIGATION_KEYS
        ):
            self.move_selection(event.key())
            return True
        return super().eventFilter(watched, event)


def _searchable(text: str) -> bool:
    return quick_find.is_id(text) or len(text) >= quick_find.MIN_SUBSTRING
