"""A non-blocking banner for a lost connection, with a Reconnect button."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    from desktop.services.database import Database


POLL_MS = 1000


class ConnectionBanner(QWidget):
    """Shown while the open database reports its connection lost; hides once it is back."""

    #: The user asked to reconnect now.
    reconnect_requested = Signal()

    def __init__(self, database: Callable[[], Database | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self.setAccessibleName("Connection lost")
        self._database = database
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#connectionBanner { background: #fff4e5; border-bottom: 1px solid #b26a00; }"
            " QLabel { color: #663c00; }"
        )
        self.label = QLabel(self)
        self.label.setObjectName("connectionBannerText")
        self.label.setWordWrap(True)
        self.button = QPushButton("Reconnect", self)
        self.button.setObjectName("reconnectButton")
        self.button.clicked.connect(self.reconnect_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.setVisible(False)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.refresh)

    def refresh(self, *_: object) -> None:
        """Show or hide according to the open database's health (a plain attribute read)."""
        database = self._database()
        lost = database.connection_lost if database is not None else None
        if lost:
            self.label.setText(
                f"<b>Connection lost.</b> {lost}<br>Nothing you had open or typed is lost: "
                "the next action reconnects, or press Reconnect."
            )
            self.setVisible(True)
            self._timer.start()
        else:
            self.setVisible(False)
            self._timer.stop()
