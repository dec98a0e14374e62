"""Everything reachable without a mouse: Tab walks the window and a form in reading order."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from desktop.services.database import Database
from desktop.services.writes import actor_for
from desktop.ui.main_window import MainWindow


def walk(start: QWidget, steps: int = 80, key: Qt.Key = Qt.Key.Key_Tab) -> list[QWidget]:
    """Press Tab from `start` until the focus comes back to it; the widgets visited."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    assert QApplication.focusWidget() is start
    visited: list[QWidget] = []
    for _ in range(steps):
        current = QApplication.focusWidget()
        assert current is not None
        QTest.keyClick(current, key)
        widget = QApplication.focusWidget()
        assert widget is not None
        if widget is start:
            return visited
        visited.append(widget)
    raise AssertionError(f"Tab never came back: {[w.objectName() for w in visited[-10:]]}")


def test_tab_cycles_through_a_browse_tab_in_order(window: MainWindow) -> None:
    users = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(users)
    visited = walk(users.filters.search)
    names = [w.objectName() for w in visited]
    for widget in (
        users.filters.status,
        users.filters.kind,
        users.filters.organization,
        users.filters.clear,
        users.view,
        users.export.button,
    ):
        assert widget in visited, (widget.objectName() if widget else None, names)
    assert all(w.isVisible() and w.isEnabled() for w in visited)
    # the filters before the table, the table before the export button: reading order
    assert visited.index(users.filters.clear) < visited.index(users.view)
    assert visited.index(users.view) < visited.index(users.export.button)
    assert window.tabs.tabBar() in visited  # from the tab bar, arrows switch tabs
    back = walk(users.filters.search, key=Qt.Key.Key_Backtab)
    assert [w for w in back if w in visited] == [w for w in reversed(visited) if w in back]


def test_tab_through_the_organization_view(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    tenants = window.tenants
    record = tenants.model.record(0)
    assert record is not None
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        window.show_organization(int(record["id"]))
    visited = walk(tenants.organizations.filters.search)
    for widget in (
        tenants.organizations.view,
        tenants.detail_tabs.tabBar(),
        tenants.users.filters.search,
        tenants.users.view,
    ):
        assert widget in visited, widget.objectName()


def test_a_form_is_walked_top_to_bottom_then_save_and_cancel(
    qtbot, window: MainWindow, database: Database
) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.forms.context import EditContext
    from desktop.ui.forms.user_form import UserForm

    context = EditContext(database, window.runner, actor_for(database))
    form = UserForm(context, None, None, window)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form, timeout=5_000)
    assert QApplication.focusWidget() is form.name  # typing starts in the first field
    visited = walk(form.name)
    fields = [form.email, form.organization, form.status, form.is_system, form.firebase_id]
    order = [w for w in visited if w in fields or form.organization.isAncestorOf(w)]
    tops = [w.mapTo(form, QPoint(0, 0)).y() for w in order]
    assert tops == sorted(tops), [w.objectName() for w in order]
    cancel = form.findChild(QWidget, "cancelButton")
    assert set(visited[-2:]) == {form.save_button, cancel}  # the buttons come last


def test_every_menu_opens_from_the_keyboard(window: MainWindow) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert all("&" in t for t in titles), titles
    letters = [t[t.index("&") + 1].lower() for t in titles]
    assert len(set(letters)) == len(letters), titles  # Alt+letter is never ambiguous
    assert all(isinstance(a.menu(), QMenu) for a in window.menuBar().actions())


def test_the_lazy_migrations_tab_has_no_focus_trap(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.tabs.setCurrentWidget(window.migrations_tab)
    panel = window.migrations_panel
    qtbot.waitUntil(lambda: panel.status is not None, timeout=20_000)
    visited = walk(panel.refresh_button)
    assert len(visited) >= 3 and window.tabs.tabBar() in visited
