"""Non-blocking feedback: toasts for results and errors, and a busy indicator after 300 ms.

A toast appears in the window's bottom-right corner, takes no focus, and fades out on its
own (errors stay longer); the same text stays in the status bar. The busy indicator in the
status bar shows whenever background work has been running for more than `BUSY_DELAY_MS`,
so no slow operation goes by without a sign of life.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QToolButton,
    QWidget,
)

from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

BUSY_DELAY_MS = 300
INFO_MS = 4_000
ERROR_MS = 10_000
MAX_TOASTS = 3
MARGIN = 12
STYLES = {
    "info": "background: #2b2f36; color: #ffffff; border: 1px solid #1b1e23;",
    "error": "background: #8c1d18; color: #ffffff; border: 1px solid #5e110d;",
}


class Toast(QFrame):
    """One message; closes itself after `timeout_ms` or when its × is clicked."""

    closed = Signal()

    def __init__(self, text: str, kind: str, timeout_ms: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("errorToast" if kind == "error" else "infoToast")
        self.setAccessibleName("Error notification" if kind == "error" else "Notification")
        self.setAccessibleDescription(text)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet(f"#{self.objectName()} {{ {STYLES[kind]} border-radius: 6px; }}")
        self.label = QLabel(text, self)
        self.label.setObjectName("toastText")
        self.label.setAccessibleName(text)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #ffffff; background: transparent; border: none;")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setObjectName("toastClose")
        self.close_button.setAccessibleName("Dismiss notification")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.setAutoRaise(True)
        self.close_button.setStyleSheet("color: #ffffff; border: none; font-size: 14px;")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        icon = QLabel("⚠" if kind == "error" else "ℹ", self)
        icon.setStyleSheet("color: #ffffff; background: transparent; border: none;")
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setFixedWidth(380)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.dismiss)
        self.timer.start(timeout_ms)

    @property
    def text(self) -> str:
        return self.label.text()

    def dismiss(self) -> None:
        self.timer.stop()
        self.hide()
        self.closed.emit()
        self.deleteLater()


class BusyIndicator(QWidget):
    """ "Working…" and an indeterminate bar while background work runs past the delay."""

    #: The indicator appeared (work ran longer than the delay).
    appeared = Signal()

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busyIndicator")
        self.setAccessibleName("Background work")
        self.label = QLabel("Working…", self)
        self.label.setObjectName("busyText")
        self.bar = QProgressBar(self)
        self.bar.setObjectName("busyProgress")
        self.bar.setAccessibleName("Background work in progress")
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(120)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.delay = QTimer(self)
        self.delay.setSingleShot(True)
        self.delay.setInterval(BUSY_DELAY_MS)
        self.delay.timeout.connect(self._appear)
        self.elapsed = QElapsedTimer()
        self.tasks = 0
        self.setVisible(False)
        runner.busy_changed.connect(self.set_tasks)

    def set_tasks(self, tasks: int) -> None:
        self.tasks = tasks
        if tasks and not self.delay.isActive() and not self.isVisible():
            self.elapsed.start()
            self.delay.start()
        elif not tasks:
            self.delay.stop()
            self.setVisible(False)
        self._describe()

    def _appear(self) -> None:
        if self.tasks:
            self._describe()
            self.setVisible(True)
            self.appeared.emit()

    def _describe(self) -> None:
        text = "Working…" if self.tasks <= 1 else f"Working on {self.tasks} tasks…"
        self.label.setText(text)
        self.setToolTip("Database or network work is running in the background.")


class Notifications(QObject):
    """Owns the toasts of one window and its busy indicator."""

    #: A toast was shown: (kind, text).
    shown = Signal(str, str)

    def __init__(self, window: QMainWindow, runner: Runner) -> None:
        super().__init__(window)
        self.window = window
        self.toasts: list[Toast] = []
        self.busy = BusyIndicator(runner, window)
        window.statusBar().addPermanentWidget(self.busy)
        window.installEventFilter(self)

    def notify(self, text: str, kind: str = "info") -> Toast | None:
        text = text.strip()
        if not text:
            return None
        for toast in self.toasts:
            if toast.text == text and toast.kind == kind:  # the same again: keep it longer
                toast.timer.start(ERROR_MS if kind == "error" else INFO_MS)
                return toast
        toast = Toast(text, kind, ERROR_MS if kind == "error" else INFO_MS, self.window)
        toast.closed.connect(lambda toast=toast: self._forget(toast))
        self.toasts.append(toast)
        while len(self.toasts) > MAX_TOASTS:
            self.toasts[0].dismiss()
        toast.adjustSize()
        toast.show()
        toast.raise_()
        self._place()
        self.window.statusBar().showMessage(text, ERROR_MS if kind == "error" else INFO_MS)
        self.shown.emit(kind, text)
        return toast

    def error(self, text: str) -> Toast | None:
        return self.notify(text, "error")

    def _forget(self, toast: Toast) -> None:
        if toast in self.toasts:
            self.toasts.remove(toast)
        self._place()

    def _place(self) -> None:
        """Stack the toasts upwards from the bottom-right corner, above the status bar."""
        bottom = self.window.height() - self.window.statusBar().height() - MARGIN
        for toast in reversed(self.toasts):
            toast.adjustSize()
            toast.move(self.window.width() - toast.width() - MARGIN, bottom - toast.height())
            bottom -= toast.height() + 6

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Resize and self.toasts:
            self._place()
        return False


def attach(window: MainWindow) -> Notifications:
    """Results and errors of the window's parts as toasts (wiring only)."""
    notes = Notifications(window, window.runner)
    window.error_shown.connect(notes.error)
    window.editing.message.connect(notes.notify)
    tabs = [*window.browse_tabs.values(), window.tenants.users, window.tenants.plugins]
    for tab in tabs:
        tab.export.finished.connect(
            lambda text, path: notes.notify(text, "info" if path or "cancel" in text else "error")
        )
    return notes
