"""The window remembers itself across restarts; saved filters per profile; bad files ignored."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter
from sqlalchemy import event

from desktop.core.profiles import Profile
from desktop.core.ui_state import UiStateStore
from desktop.db.models import UserStatus
from desktop.services.database import Database, open_database
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner
from desktop.ui.table_model import RowRole


def _window(qtbot, runner: Runner, path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(runner, state=UiStateStore(path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(20)  # let the layout settle (sizes are compared below)
    return window


def _connect(qtbot, window: MainWindow, database: Database) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)


def test_layout_views_and_filters_survive_a_restart(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, database: Database, tmp_path: Path, gui_guard
) -> None:
    path = tmp_path / "ui-state.json"
    first = _window(qtbot, runner, path)
    _connect(qtbot, first, database)
    splitter = first.tenants.findChild(QSplitter)
    assert splitter is not None
    splitter.setSizes([300, 800])
    qtbot.wait(20)
    sizes = splitter.sizes()
    users = first.browse_tabs["users"]
    email = next(
        c for c in range(users.model.columnCount()) if users.model.column_key(c) == "email"
    )
    users.view.setColumnWidth(email, 411)
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        users.view.horizontalHeader().setSortIndicator(email, Qt.SortOrder.DescendingOrder)
    assert users.filters.status is not None
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        users.filters.status.setCurrentIndex(users.filters.status.findData(int(UserStatus.ACTIVE)))
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        users.filters.search.setText("example")
        users.filters.flush()
    first.close()
    assert path.exists()
    saved = json.loads(path.read_text())
    assert saved["views"]["users"]["widths"]["email"] == 411
    # Offscreen, the screen is 800x600 and Qt fits a restored geometry into it (so the
    # window ends at its minimum width and the splitter cannot keep its sizes): the
    # geometry has its own test below.
    del saved["window"]["geometry"]
    path.write_text(json.dumps(saved))

    second = _window(qtbot, runner, path)
    restored = second.browse_tabs["users"]
    qtbot.wait(20)
    restored_sizes = second.tenants.findChild(QSplitter).sizes()
    assert all(abs(a - b) <= 2 for a, b in zip(restored_sizes, sizes, strict=True)), (
        restored_sizes,
        sizes,
    )
    assert restored.view.columnWidth(email) == 411
    state = restored.model.state
    assert (state.sort, state.descending) == ("email", True)
    assert state.statuses == frozenset({int(UserStatus.ACTIVE)}) and state.search == "example"
    assert restored.filters.search.text() == "example"
    assert restored.filters.status is not None
    assert restored.filters.status.currentData() == int(UserStatus.ACTIVE)
    header = restored.view.horizontalHeader()
    assert header.sortIndicatorSection() == email
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder

    # Restoring loads each table once, already sorted and filtered: no query is wasted.
    opened: list[str] = []
    loads = {name: 0 for name in second.models}
    for name, model in second.models.items():
        model.page_loaded.connect(lambda _rows, name=name: loads.__setitem__(name, loads[name] + 1))
    event.listen(database.engine, "before_cursor_execute", lambda *a: opened.append(a[2]))
    _connect(qtbot, second, database)
    qtbot.wait(300)
    assert loads == {"organizations": 1, "users": 1, "plugins": 1}
    pages = [s for s in opened if 'FROM "user" JOIN organization' in s and "ORDER BY" in s]
    assert len(pages) == 1  # one first page, already sorted and filtered as remembered
    assert 'ORDER BY "user".email DESC' in pages[0] and '"user".status IN' in pages[0]
    rows = [restored.model.index(r, 0).data(RowRole) for r in range(restored.model.rowCount())]
    assert rows and all("example" in (row[1] + row[2]).lower() for row in rows if row)
    assert all(row[4] == int(UserStatus.ACTIVE) for row in rows if row)
    emails = [row[2] for row in rows[:50] if row]
    assert emails == sorted(emails, reverse=True)
    second.close()


def test_geometry_and_docks_survive_a_restart(qtbot, runner: Runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ui-state.json"
    first = _window(qtbot, runner, path)
    first.resize(1200, 520)
    first.close()
    restored = _window(qtbot, runner, path)
    assert restored.height() == 520  # (the width is fitted into the offscreen screen)
    restored.showMaximized()
    restored.close()
    first = _window(qtbot, runner, path)
    assert first.firebase.dock.isHidden()
    first.firebase.dock.show()
    first.look.toolbar.hide()
    first.close()
    second = _window(qtbot, runner, path)
    assert second.isMaximized()
    assert not second.firebase.dock.isHidden()
    assert second.look.toolbar.isHidden()


@pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")  # the menu
def test_saved_filters_are_per_profile(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "ui-state.json"
    window = _window(qtbot, runner, path)
    _connect(qtbot, window, database)
    users = window.browse_tabs["users"]
    saved = window.memory.saved_filters["users"]
    assert users.filters.kind is not None
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        users.filters.kind.setCurrentIndex(users.filters.kind.findData(True))
    assert saved.save_as("  System   accounts ") == "System accounts"
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        users.filters.reset()
    assert users.model.state.is_system is None
    with qtbot.waitSignal(users.model.page_loaded, timeout=10_000):
        assert saved.apply("System accounts")
    assert users.model.state.is_system is True
    assert users.filters.kind.currentData() is True
    assert all(
        users.model.index(r, 0).data(RowRole)[5] is True
        for r in range(min(users.model.rowCount(), 50))
        if users.model.index(r, 0).data(RowRole)
    )
    # From the View menu too: the current table's saved filters, as a menu.
    window.tabs.setCurrentWidget(users)
    users.view.setFocus()
    view_action = window.findChild(QAction, "savedFiltersAction")
    assert view_action is not None
    view_action.trigger()
    qtbot.waitUntil(saved.menu.isVisible)
    assert "System accounts" in [a.text() for a in saved.menu.actions()]
    saved.menu.close()
    window.close()

    # A restart keeps it; another profile on the same server does not see it.
    again = _window(qtbot, runner, path)
    _connect(qtbot, again, database)
    assert again.memory.saved_filters["users"].names() == ["System accounts"]
    assert again.memory.saved_filters["plugins"].names() == []
    other = dataclasses.replace(database, profile=Profile(name="support-readonly"))
    again.database = other  # the profile that is connected decides (no reload needed here)
    assert again.memory.saved_filters["users"].names() == []
    again.database = database
    assert again.memory.saved_filters["users"].delete("System accounts")
    assert again.memory.saved_filters["users"].names() == []
    assert UiStateStore(path).saved_filter_names("development:Test database", "users") == []
    again.close()


def test_saved_filters_need_a_connection(qtbot, runner: Runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, runner, tmp_path / "ui-state.json")
    saved = window.memory.saved_filters["users"]
    messages: list[str] = []
    saved.message.connect(messages.append)
    assert saved.save_as("anything") is None
    assert messages and "Connect" in messages[0]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        b"\xff\xfe\x00 not text",
        json.dumps({"version": 99, "window": {}}).encode(),
        json.dumps(
            {
                "version": 1,
                "window": {"geometry": "!!notbase64", "layout": 3, "splitters": []},
                "views": {"users": {"widths": {"email": "wide"}, "state": {"sort": "nope"}}},
                "saved_filters": [],
            }
        ).encode(),
    ],
)
def test_a_corrupt_state_file_is_ignored(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, tmp_path: Path, caplog, content: bytes
) -> None:
    path = tmp_path / "ui-state.json"
    path.write_bytes(content)
    with caplog.at_level(logging.INFO):
        window = _window(qtbot, runner, path)
    users = window.browse_tabs["users"].model.state
    assert (users.sort, users.descending, users.search) == ("id", False, "")
    assert (window.width(), window.height()) == (1280, 760)
    window.close()  # and the next save replaces it with a good file
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize("content", ["{broken", "1" * 4301, "[" * 100_000])
def test_a_corrupt_file_is_logged(tmp_path: Path, caplog, content: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ui-state.json"
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="desktop.core.ui_state"):
        store = UiStateStore(path)
    assert store.view("users") == {}
    assert "Ignoring the window state file" in caplog.text


def test_state_file_lives_under_tenantry_home(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path))
    store = UiStateStore()
    store.window["x"] = 1
    store.save()
    assert (tmp_path / "config" / "ui-state.json").is_file()


def test_no_secret_reaches_the_state_file(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, seeded_url: str, tmp_path: Path
) -> None:
    from sqlalchemy.engine import make_url

    password = "s3cret-Pa55word"
    url = make_url(seeded_url).set(password=password).render_as_string(hide_password=False)
    database = open_database(url, label="With password", environment="staging")
    try:
        path = tmp_path / "ui-state.json"
        window = _window(qtbot, runner, path)
        _connect(qtbot, window, database)
        window.memory.saved_filters["plugins"].save_as("mine")
        window.close()
        assert password not in path.read_text()
    finally:
        database.dispose()
