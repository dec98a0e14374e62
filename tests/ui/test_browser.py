"""The tenant browser on a real database, with no SQL allowed on the GUI thread."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView
from sql_oracle import independent_ids
from sqlalchemy import text

from conftest import GuiThreadGuard
from desktop.core.view_state import ViewState
from desktop.services.columns import BLOCK
from desktop.services.database import Database
from desktop.ui.main_window import MainWindow
from desktop.ui.table_model import PagedTableModel, RowRole


def secrets(database: Database, guard: GuiThreadGuard) -> list[str]:
    with guard.allow(), database.engine.connect() as c:
        return [
            v for (v,) in c.execute(text("SELECT value FROM plugin, json_each_text(credentials)"))
        ]


def wait_loaded(qtbot: Any, model: PagedTableModel, state: ViewState) -> None:
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        model.set_state(state)


def shown_ids(model: PagedTableModel, rows: int) -> list[int]:
    return [model.index(r, 0).data(RowRole)[0] for r in range(min(rows, model.rowCount()))]


def visible_rows(tab: Any) -> range:
    """The rows `tab`'s grid shows now."""
    view, model = tab.view, tab.model
    last = view.rowAt(view.viewport().height() - 1)
    return range(view.rowAt(0), (last if last >= 0 else model.rowCount() - 1) + 1)


def visible_ids(tab: Any) -> list[int] | None:
    """The ids of the rows `tab`'s grid shows, or None while any of them loads."""
    rows = [tab.model.row_values(r) for r in visible_rows(tab)]
    return None if any(r is None for r in rows) else [r[0] for r in rows]


def held(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> threading.Event:
    """Hold `module.name` back (in the worker that calls it) until the event is set."""
    release = threading.Event()
    real = getattr(module, name)

    def waiting(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)
    return release


def test_the_guard_fails_a_query_on_the_gui_thread(
    database: Database, gui_guard: GuiThreadGuard
) -> None:
    with pytest.raises(AssertionError, match="GUI thread"), database.engine.connect() as c:
        c.execute(text("SELECT 1"))
    assert gui_guard.violations == ["SELECT 1"]
    gui_guard.violations.clear()
    done: list[int] = []
    worker = threading.Thread(
        target=lambda: done.append(database.engine.connect().execute(text("SELECT 7")).scalar())
    )
    worker.start()
    worker.join()
    assert done == [7]


def test_header_click_sorts_on_the_server(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    tab = window.browse_tabs["users"]
    model = tab.model
    email = next(c for c in range(model.columnCount()) if model.column_key(c) == "email")
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        tab.view.horizontalHeader().sectionClicked.emit(email)
        tab.view.sortByColumn(email, Qt.SortOrder.DescendingOrder)
    assert model.state.sort == "email" and model.state.descending
    with gui_guard.allow():
        expected = independent_ids(database.engine, model.state)
    assert shown_ids(model, 100) == expected[:100]
    assert "sorted by email, descending" in tab.state.text()


STATES = st.builds(
    lambda view, search, desc, status, org, system: ViewState(
        view,
        search=search,
        descending=desc,
        sort={"users": "last_login", "plugins": "title", "organizations": "users"}[view],
        statuses=frozenset(status) if view == "users" else frozenset(),
        organization_id=org if view != "organizations" else None,
        is_system=system if view == "users" else None,
    ),
    st.sampled_from(["users", "plugins", "organizations"]),
    st.sampled_from(["", "a", "son", "ma", "%", "_"]),
    st.booleans(),
    st.sets(st.sampled_from([1, 2, 3]), max_size=2),
    st.sampled_from([None, 1, 4]),
    st.sampled_from([None, False]),
)


def test_model_results_equal_independent_sql(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(state=STATES)
    def check(state: ViewState) -> None:
        model = window.models[state.view]
        if model.state != state:
            wait_loaded(qtbot, model, state)
        with gui_guard.allow():
            expected = independent_ids(database.engine, state)
        qtbot.waitUntil(
            lambda: model.total.kind != "about" or not state.is_filtered, timeout=10_000
        )
        if state.is_filtered:
            assert model.rowCount() == len(expected)
        assert shown_ids(model, 100) == expected[:100]

    check()


def test_typing_fast_shows_only_the_final_result_and_leaves_no_query(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    tab = window.browse_tabs["users"]
    model = tab.model
    shown: list[str] = []
    model.page_loaded.connect(lambda _: shown.append(model.state.search))
    window.tabs.setCurrentWidget(tab)
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        qtbot.keyClicks(tab.filters.search, "maria w")
    qtbot.wait(300)
    assert shown == ["maria w"]
    # Without the debounce too: ten states in a row, only the last one is shown.
    shown.clear()
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        for term in ["s", "so", "son", "sons", "sonj", "o", "ol", "oli", "oliv", "olivia"]:
            model.set_state(model.state.with_(search=term))
    qtbot.wait(300)
    assert shown == ["olivia"]
    assert all(
        "olivia" in (r[1] + r[2]).lower()
        for r in map(model.row_values, range(model.rowCount()))
        if r
    )
    window.runner.wait(10_000)
    with gui_guard.allow(), database.engine.connect() as c:
        running = c.execute(
            text(
                "SELECT query FROM pg_stat_activity WHERE state = 'active'"
                " AND pid <> pg_backend_pid() AND datname = current_database()"
            )
        ).all()
    assert running == []


def test_hostile_search_text_is_refused_clearly(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    tab = window.browse_tabs["users"]
    for hostile, message in (("a\x00b", "NUL"), ("x" * 10_000, "too long")):
        with qtbot.waitSignal(tab.model.load_failed, timeout=10_000) as blocker:
            tab.filters.search.setText(hostile)
        assert message in blocker.args[0]
        assert message in tab.state.text()
    with qtbot.waitSignal(tab.model.page_loaded, timeout=10_000):
        tab.filters.search.setText("100%_\\'\"🙂")
    assert tab.model.rowCount() == 0
    assert "No users matching" in tab.state.text()


def test_go_to_organization_back_and_forward(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    users = window.browse_tabs["users"]
    plugins = window.browse_tabs["plugins"]
    tenants = window.tenants
    users.view.selectRow(3)
    first_org = users.model.record(3)["organization_id"]  # type: ignore[index]
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        users.go_to_organization()
    assert window.tabs.currentWidget() is tenants and tenants.current == first_org
    qtbot.waitUntil(lambda: "users" in tenants.summary.text(), timeout=10_000)
    assert all(
        r[9] == first_org
        for r in map(tenants.users.model.row_values, range(tenants.users.model.rowCount()))
        if r
    )
    row = next(
        r
        for r in range(plugins.model.rowCount())
        if plugins.model.record(r)["organization_id"] != first_org
    )  # type: ignore[index]
    plugins.view.selectRow(row)
    second_org = plugins.model.record(row)["organization_id"]  # type: ignore[index]
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        plugins.go_to_organization()
    assert tenants.current == second_org
    assert tenants.back_button.isEnabled() and not tenants.forward_button.isEnabled()
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        tenants.back_button.click()
    assert tenants.current == first_org and tenants.forward_button.isEnabled()
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        tenants.forward_button.click()
    assert tenants.current == second_org
    qtbot.waitUntil(lambda: f"organization {second_org}" in tenants.title.text(), timeout=10_000)


def test_selecting_an_organization_shows_its_users_and_plugins(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    tenants = window.tenants
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        tenants.organizations.view.selectRow(0)
    org = tenants.current
    qtbot.waitUntil(lambda: "plugins" in tenants.summary.text(), timeout=10_000)
    with gui_guard.allow(), database.engine.connect() as c:
        users, inactive = c.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE status = 2)"
                ' FROM "user" WHERE organization_id = :o'
            ),
            {"o": org},
        ).one()
    assert f"{users:,} users" in tenants.summary.text()
    assert f"{inactive:,} inactive" in tenants.summary.text()
    qtbot.waitUntil(lambda: tenants.users.model.total.kind == "exact", timeout=10_000)
    assert tenants.users.model.rowCount() == users
    assert tenants.detail_tabs.tabText(0) == f"Users ({users:,})"
    for model in (tenants.users.model, tenants.plugins.model):
        qtmodeltester.check(model, force_py=True)


def test_copy_rows_as_tsv_keeps_credentials_masked(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    tab = window.browse_tabs["plugins"]
    tab.view.selectRow(0)
    tab.view.selectionModel().select(
        tab.model.index(1, 0),
        tab.view.selectionModel().SelectionFlag.Select
        | tab.view.selectionModel().SelectionFlag.Rows,
    )
    messages: list[str] = []
    tab.message.connect(messages.append)
    copied = tab.copy_rows()
    assert QGuiApplication.clipboard().text() == copied
    assert messages == ["Copied 2 rows"]  # the header line is not a row
    lines = copied.splitlines()
    assert lines[0].split("\t")[:3] == ["ID", "Title", "Data source"]
    assert len(lines) == 3 and all(
        len(line.split("\t")) == tab.model.columnCount() for line in lines
    )
    assert "••••••" in copied
    for secret in secrets(database, gui_guard):
        assert secret not in copied
    cells = tab.copy_cells()
    assert cells.count("\n") == 2 and "\t" in cells
    tab.view.selectRow(0)
    tab.copy_cells()
    assert messages[-1] == "Copied 1 row"


def test_export_matches_the_database_and_masks_credentials(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    users = window.browse_tabs["users"]
    wait_loaded(qtbot, users.model, ViewState("users", statuses=frozenset({2}), sort="email"))
    target = tmp_path / "inactive.csv"
    with qtbot.waitSignal(users.export.finished, timeout=20_000) as blocker:
        users.export.start(target, "csv")
    assert "Exported" in blocker.args[0]
    with target.open(newline="") as f:
        rows = list(csv.DictReader(f))
    with gui_guard.allow():
        expected = independent_ids(database.engine, users.model.state)
        with database.engine.connect() as c:
            first = c.execute(
                text('SELECT name, email FROM "user" WHERE id = :i'), {"i": expected[0]}
            ).one()
    assert [int(r["id"]) for r in rows] == expected
    assert {r["status"] for r in rows} == {"inactive"}
    assert (rows[0]["name"], rows[0]["email"]) == tuple(first)

    plugins = window.browse_tabs["plugins"]
    target = tmp_path / "plugins.json"
    with qtbot.waitSignal(plugins.export.finished, timeout=20_000):
        plugins.export.start(target, "json")
    document = json.loads(target.read_text())
    with gui_guard.allow():
        assert [d["id"] for d in document] == independent_ids(database.engine, plugins.model.state)
    raw = target.read_text()
    for secret in secrets(database, gui_guard):
        assert secret not in raw
    assert all(
        set(d) >= {"credential_keys", "properties"}
        and "password" not in json.dumps(d.get("credentials"))
        for d in document
    )
    assert not list(tmp_path.glob(".*partial"))


def test_the_export_dialog_makes_formulas_safe_unless_told_otherwise(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QCheckBox, QFileDialog, QLineEdit

    with gui_guard.allow(), database.engine.begin() as c:
        c.execute(text('UPDATE "user" SET name = :n WHERE id = 1'), {"n": "=HYPERLINK(1)"})
    users = window.browse_tabs["users"]
    wait_loaded(qtbot, users.model, ViewState("users", search="HYPERLINK"))
    dialog = users.export.save_dialog()
    box = dialog.findChild(QCheckBox, "exportSafeFormulas")
    assert box is not None and box.isChecked() and box.isVisibleTo(dialog)
    assert "formulas safe for spreadsheets" in box.text()
    assert "-5" in box.toolTip() and "= + - @" in box.toolTip()
    dialog.deleteLater()

    def name_in(path: Path) -> str:
        with path.open(newline="") as f:
            return [r["name"] for r in csv.DictReader(f)][0]

    with qtbot.waitSignal(users.export.finished, timeout=20_000):
        users.export.start(tmp_path / "safe.csv", "csv")
    assert name_in(tmp_path / "safe.csv") == "'=HYPERLINK(1)"

    raw = tmp_path / "raw.csv"

    def answer() -> None:  # what a person does in the dialog: a name, untick, Save
        shown = QApplication.activeModalWidget()
        assert isinstance(shown, QFileDialog)
        name = shown.findChild(QLineEdit, "fileNameEdit")  # typed as a person would
        assert name is not None
        name.setText(str(raw))
        option = shown.findChild(QCheckBox, "exportSafeFormulas")
        assert option is not None and option.isChecked()
        option.setChecked(False)
        shown.accept()

    QTimer.singleShot(300, answer)
    with qtbot.waitSignal(users.export.finished, timeout=20_000) as blocker:
        users.export.choose_and_export()
    assert blocker.args == [f"Exported 1 row to {raw}", str(raw)]
    assert name_in(raw) == "=HYPERLINK(1)"
    assert users.export.safe_formulas is False  # remembered for the next export


def test_an_export_is_named_after_the_organization_and_starts_in_the_last_folder(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from PySide6.QtWidgets import QLineEdit

    from desktop.core.ui_state import UiStateStore
    from desktop.ui.export import ExportMemory

    tenants = window.tenants
    panel = tenants.users.export
    # One folder and formula option for every view of the window.
    assert panel.memory is window.browse_tabs["users"].export.memory
    assert panel.memory is tenants.plugins.export.memory
    with qtbot.waitSignal(tenants.organization_loaded, timeout=10_000):
        tenants.organizations.view.selectRow(0)
    qtbot.waitUntil(lambda: "plugins" in tenants.summary.text(), timeout=10_000)
    slug = tenants.current_name.lower().replace(" ", "-")
    today = date.today().isoformat()
    assert panel.suggested_path().name == f"users-{slug}-{today}.csv"
    assert tenants.plugins.export.suggested_path().name == f"plugins-{slug}-{today}.csv"
    # With no export yet: the documents folder (or home), never the working directory.
    assert panel.suggested_path().parent == panel.memory.start_folder()
    assert panel.memory.start_folder() != Path.cwd() or Path.cwd() == Path.home()

    # The dialog opens there, with that name typed in.
    dialog = panel.save_dialog()
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    assert name is not None and name.text() == f"users-{slug}-{today}.csv"
    assert Path(dialog.directory().absolutePath()) == panel.memory.start_folder().resolve()
    dialog.deleteLater()

    # A finished export's message goes once the view shows something else.
    target = tmp_path / "exports" / "inactive.csv"
    target.parent.mkdir()
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.start(target, "csv")
    assert panel.label.text().startswith("Exported ")
    panel.model.set_state(panel.model.state.with_(search="zz"))
    assert panel.label.text() == ""

    # The folder chosen and the formula option are remembered across starts.
    store = UiStateStore(tmp_path / "ui-state.json")
    ExportMemory(store).chosen(target, False)
    again = ExportMemory(UiStateStore(tmp_path / "ui-state.json"))
    assert again.start_folder() == target.parent and again.safe_formulas is False
    target.parent.rename(tmp_path / "moved")  # a folder gone: the documents folder again
    assert again.start_folder() != target.parent


def test_cancelled_export_leaves_no_complete_looking_file(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from desktop.services import export

    monkeypatch.setattr(export, "PROGRESS_EVERY", 1)
    started = threading.Event()
    release = threading.Event()
    real_sink_write = export._Sink.write

    def slow_write(self: Any, data: bytes) -> int:  # holds the export mid-stream
        started.set()
        release.wait(5)
        return real_sink_write(self, data)

    monkeypatch.setattr(export._Sink, "write", slow_write)
    users = window.browse_tabs["users"]
    target = tmp_path / "users.csv"
    users.export.start(target, "csv")
    assert started.wait(10)
    window.tabs.setCurrentWidget(users)
    assert users.export.running and users.export.cancel_button.isVisible()
    with qtbot.waitSignal(users.export.finished, timeout=20_000) as blocker:
        users.export.cancel_button.click()
        release.set()
    assert "cancelled" in blocker.args[0]
    window.runner.wait(10_000)
    assert list(tmp_path.iterdir()) == []


def test_the_grid_delegate_paints_loaded_rows_like_qts_own(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """The lean delegate (one text look-up per cell, alignment from a table) draws exactly
    the pixels Qt's own delegate draws from the model's roles, given the same font (the
    shaping-free one for text that needs no shaping; see the next test)."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QStyledItemDelegate

    class QtsWithTheSameFont(QStyledItemDelegate):
        def initStyleOption(self, option, index):  # type: ignore[no-untyped-def]  # noqa: N802
            super().initStyleOption(option, index)
            if option.text and max(option.text) < "\u0300":
                font = option.font
                font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
                option.font = font

    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    tab.view.verticalScrollBar().setValue(3)  # an odd first row: alternate backgrounds shift
    qtbot.waitUntil(lambda: tab.model.row_values(tab.view.rowAt(0)) is not None)
    ours = tab.view.viewport().grab().toImage()
    lean = tab.view.itemDelegate()
    tab.view.setItemDelegate(QtsWithTheSameFont(tab.view))
    try:
        qts = tab.view.viewport().grab().toImage()
    finally:
        tab.view.setItemDelegate(lean)
    assert ours.size() == qts.size() and not ours.isNull()
    assert ours == qts
    # and it is a real page of rows, not an empty grid
    assert tab.model.index(tab.view.rowAt(0), 2).data()


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("ada.lovelace@example.com", False),
        ("Zoë Müller-Ångström", False),  # Latin letters: one glyph each, no shaping
        ("محمد عبد الله", True),  # Arabic letters join: shaped
        ("नमस्ते", True),  # Devanagari clusters: shaped
        ("Zoe\u0301", True),  # a combining accent: shaped
    ],
)
def test_text_that_needs_shaping_keeps_the_shaping_font(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, text: str, shaped: bool
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QStyleOptionViewItem

    tab = window.browse_tabs["users"]
    delegate = tab.view.itemDelegate()
    monkeypatch.setattr(tab.model, "cell_text", lambda row, col: text)

    def font_for_cell() -> QFont:
        option = QStyleOptionViewItem()
        option.font = tab.view.font()
        delegate.initStyleOption(option, tab.model.index(0, 1))
        assert option.text == text
        return QFont(option.font)  # a copy: the option and its font end with this call

    font = font_for_cell()
    no_shaping = bool(font.styleStrategy() & QFont.StyleStrategy.PreferNoShaping)
    assert no_shaping is not shaped
    assert font.family() == tab.view.font().family()
    # The shaping-free font follows the view's font when it changes.
    bigger = QFont(tab.view.font())
    bigger.setPointSizeF(bigger.pointSizeF() + 3)
    tab.view.setFont(bigger)
    assert font_for_cell().pointSizeF() == bigger.pointSizeF()


def test_rows_a_page_ahead_load_once_scrolling_pauses(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    model, view = tab.model, tab.view
    assert model.rowCount() > 3 * BLOCK
    # Scroll so the last visible row sits just before the end of the first block.
    visible = view.rowAt(view.viewport().height() - 1) - view.rowAt(0) + 1
    view.scrollTo(model.index(BLOCK - 2, 0), QAbstractItemView.ScrollHint.PositionAtBottom)
    assert view.rowAt(0) > BLOCK - visible - 2
    assert model.row_values(BLOCK) is None  # the next block is not loaded yet
    qtbot.waitUntil(lambda: model.row_values(BLOCK) is not None, timeout=5_000)
    # and the block after it is not: only a page ahead is read
    qtbot.wait(200)
    assert model.row_values(2 * BLOCK) is None


def test_a_read_ahead_that_finds_nothing_is_not_asked_for_again(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A block read ahead whose load stores nothing (the view ended earlier than its
    estimate) is not asked for again on every pass: no loop of queries."""
    from desktop.services import windows

    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    model, view = tab.model, tab.view
    asked: list[list[int]] = []

    def finds_nothing(engine, state, wanted, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(list(wanted))
        return windows.Loaded()

    monkeypatch.setattr(windows, "load_blocks", finds_nothing)
    view.scrollTo(model.index(BLOCK - 2, 0), QAbstractItemView.ScrollHint.PositionAtBottom)
    qtbot.waitUntil(lambda: len(asked) >= 1, timeout=5_000)
    qtbot.wait(500)  # many event-loop passes and prefetch timers
    assert asked == [[1]]
    assert model.row_values(BLOCK) is None


def test_a_filtered_views_estimate_arrives_beside_its_first_page(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The planner's estimate runs beside the first page, not after it; whichever comes
    first, the view ends up with the estimate until the exact count (held back here)."""
    from desktop.ui import table_model

    monkeypatch.setattr(table_model, "COUNT_DELAY_MS", 60_000)
    model = window.models["users"]
    wait_loaded(qtbot, model, ViewState("users", search="a"))  # most users: over a block
    qtbot.waitUntil(lambda: model.total.value > BLOCK + 1, timeout=5_000)
    assert model.total.kind == "about"
    assert model.rowCount() == model.total.value
    assert model.row_values(0) is not None


def test_a_search_typed_while_scrolled_down_fills_its_rows_in_order(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    """Scrolled down, a search's first page comes with a stand-in total (one row more than
    a block) until its estimate lands, and the view shows the stand-in's last rows. The
    block behind them is read on from the first block, not as the view's tail (that put
    the search's last row at position 101 and left the rows after it empty for good once
    the estimate came in); blocks placed against the stand-in end load again."""
    from desktop.services import browse
    from desktop.ui import table_model

    monkeypatch.setattr(table_model, "COUNT_DELAY_MS", 60_000)  # the estimate decides
    estimate_may_land = held(monkeypatch, browse, "estimated_total")
    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    model, view = tab.model, tab.view
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())
    state = ViewState("users", search="a")
    assert window.database is not None
    with gui_guard.allow():
        expected = independent_ids(window.database.engine, state)
    assert len(expected) > 2 * BLOCK

    wait_loaded(qtbot, model, state)
    assert model.rowCount() == BLOCK + 1 and model.total.kind == "about"  # the stand-in
    assert view.rowAt(view.viewport().height() - 1) in (BLOCK, -1)  # its last row shows
    qtbot.waitUntil(lambda: model.row_values(BLOCK) is not None, timeout=10_000)
    assert model.row_values(BLOCK)[0] == expected[BLOCK]  # type: ignore[index]

    estimate_may_land.set()
    qtbot.waitUntil(lambda: model.rowCount() > BLOCK + 1, timeout=10_000)
    bar.setValue(0)
    view.scrollTo(model.index(BLOCK + 10, 0))  # the rows after the stand-in's end
    rows = visible_rows(tab)
    assert rows.start <= BLOCK + 1 < rows.stop
    qtbot.waitUntil(lambda: visible_ids(tab) is not None, timeout=10_000)
    assert visible_ids(tab) == expected[rows.start : rows.stop]


def test_rows_read_back_from_an_estimated_end_move_when_the_count_lands(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    """Scrolled to the end of a search before its count lands, the last rows are read
    backwards from the estimated end. When the count finds more rows than the planner
    thought, those rows belong at the new end: the blocks placed against the old end are
    dropped and read again, so the middle of the view does not repeat the last rows."""
    from desktop.services import browse
    from desktop.services.columns import Total

    state = ViewState("users", search="a")
    assert window.database is not None
    with gui_guard.allow():
        expected = independent_ids(window.database.engine, state)
    real = len(expected)
    estimate = real // 2  # the planner under-estimates by half
    assert estimate > 3 * BLOCK
    monkeypatch.setattr(browse, "estimated_total", lambda *a, **k: Total(estimate, "about"))
    count_may_land = held(monkeypatch, browse, "count_total")
    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    model, view = tab.model, tab.view
    wait_loaded(qtbot, model, state)
    qtbot.waitUntil(lambda: model.rowCount() == estimate, timeout=10_000)

    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: visible_ids(tab) is not None, timeout=10_000)
    at_old_end = visible_rows(tab)
    assert visible_ids(tab) == expected[-len(at_old_end) :]  # the real last rows, read back

    count_may_land.set()
    qtbot.waitUntil(lambda: model.total.kind == "exact", timeout=10_000)
    assert model.rowCount() == real
    view.scrollTo(model.index(at_old_end[0], 0), QAbstractItemView.ScrollHint.PositionAtTop)
    qtbot.waitUntil(lambda: visible_ids(tab) is not None, timeout=10_000)
    middle = visible_ids(tab)
    assert middle is not None
    assert middle == sorted(middle) and middle[-1] < expected[-len(at_old_end)]
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: visible_ids(tab) is not None, timeout=10_000)
    assert visible_ids(tab) == expected[-len(visible_rows(tab)) :]
