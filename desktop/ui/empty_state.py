"""What a table shows when it has no rows: not connected, loading, nothing matches, failed."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import QLabel

from desktop.ui.table_view import BrowseTab

_PALETTE_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


class EmptyState(QLabel):
    """A centred message over an empty table's viewport, with a link to what helps."""

    def __init__(
        self,
        tab: BrowseTab,
        connect_action: QAction | None,
        connected: Callable[[], bool],
        *,
        needs_selection: bool = False,
    ) -> None:
        super().__init__(tab.view.viewport())
        self.tab = tab
        self.connect_action = connect_action
        self.connected = connected
        self.needs_selection = needs_selection
        self._failure = ""
        self.setObjectName(f"{tab.objectName()}EmptyState")
        self.setAccessibleName(f"{tab.model.spec.title} table message")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.linkActivated.connect(self._on_link)
        model = tab.model
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self.refresh)
        model.state_changed.connect(self._on_state_changed)
        model.loading_started.connect(self._on_state_changed)
        model.total_changed.connect(self.refresh)
        model.page_loaded.connect(self._on_loaded)
        model.load_failed.connect(self._on_failed)
        tab.view.viewport().installEventFilter(self)
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() in _PALETTE_EVENTS and self.text():
            text = self.text()  # lay the rich text out again: links take the new colour
            self.setText("")
            self.setText(text)

    def _place(self) -> None:
        viewport = self.tab.view.viewport()
        margin = 24
        self.setGeometry(margin, margin, max(viewport.width() - 2 * margin, 10), 120)

    def _on_state_changed(self) -> None:
        self._failure = ""
        self.refresh()

    def _on_loaded(self, _rows: int) -> None:
        self._failure = ""
        self.refresh()

    def _on_failed(self, message: str) -> None:
        self._failure = message
        self.refresh()

    def message(self) -> str:
        """The plain text shown (empty when the table has rows)."""
        return self.text() if self.isVisibleTo(self.tab) else ""

    def refresh(self) -> None:
        text = self._compose()
        self.setText(text)
        self.setVisible(bool(text))
        self._place()

    def _compose(self) -> str:
        model = self.tab.model
        noun = model.spec.title.lower()
        if model.database is None:
            if self.needs_selection and self.connected():
                return f"Select an organization to see its {noun}."
            if self.connected():
                return ""
            shortcut = ""
            if self.connect_action is not None and not self.connect_action.shortcut().isEmpty():
                keys = self.connect_action.shortcut().toString(
                    QKeySequence.SequenceFormat.NativeText
                )
                shortcut = f" ({escape(keys)})"
            return f'Not connected — <a href="connect">open a connection</a>{shortcut}.'
        if model.rowCount() > 0:
            return ""
        if self._failure:
            return escape(self._failure)
        if model.is_loading:
            search = model.state.search.strip()
            if search:
                return f"Searching {noun} for “{escape(search[:60])}”…"
            return f"Loading {noun}…"
        described = self.tab.filters.describe(model.state)
        if model.state.is_filtered and described:
            return (
                f"No {noun} {escape(described)} — "
                '<a href="clear">clear filters</a> to see them all.'
            )
        if self.needs_selection:
            return f"This organization has no {noun}."
        return f"No {noun} in this database yet."

    def _on_link(self, link: str) -> None:
        if link == "connect" and self.connect_action is not None:
            self.connect_action.trigger()
        elif link == "clear":
            self.tab.filters.reset()
