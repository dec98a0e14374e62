"""Help > About is reached from the keyboard and its versions copy to the clipboard as shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from desktop.db import migrate
from desktop.services.database import Database
from desktop.ui.about_dialog import AboutDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner


def test_about_from_its_shortcut_then_copy(qtbot, runner: Runner, database: Database) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)
    key = window.about_action.shortcut()[0]
    QTest.keyClick(window.tabs, key.key(), key.keyboardModifiers())
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog))
    qtbot.addWidget(dialog)
    heads = ", ".join(migrate.head_revisions())
    qtbot.waitUntil(lambda: f"Schema revision: {heads}" in dialog.text(), timeout=10_000)
    copy = dialog.findChild(QPushButton, "aboutCopy")
    assert copy is not None
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.details.toPlainText() == dialog.text()
    for line in ("Tenantry: ", "Qt: 6.", "PostgreSQL server: 18", f"Schema revision: {heads}"):
        assert line in copied
    assert database.engine.url.password is None or database.engine.url.password not in copied
