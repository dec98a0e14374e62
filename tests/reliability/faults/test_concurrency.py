"""Two app instances on the same rows, and a burst of searches: nothing lost, nothing left."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gui_thread_guard import GuiThreadGuard
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton
from sql_oracle import independent_ids
from sqlalchemy import text
from sqlalchemy.engine import make_url

from desktop.services import users
from desktop.services.database import Database, open_database
from desktop.services.writes import Actor, ConflictError
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.user_form import UserForm
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner
from desktop.ui.table_model import RowRole

from .conftest import MAX_GUI_GAP_S, Heartbeat, backends, os_threads

ROWS = 20


@pytest.fixture
def instances(seeded_url: str) -> Iterator[tuple[Database, Database]]:
    """Two app instances: separate engines, pools and sessions on the same database."""
    first = open_database(seeded_url, label="Alice's Tenantry", environment="development")
    second = open_database(seeded_url, label="Bob's Tenantry", environment="development")
    yield first, second
    first.dispose()
    second.dispose()


def _users(db: Database, count: int) -> list[tuple[int, str]]:
    """(id, version) of the first `count` ordinary users, as a form would have loaded them."""
    with db.engine.connect() as c:
        ids = c.execute(
            text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id LIMIT :n'), {"n": count}
        ).scalars()
        from desktop.services.records import load_user

        out = []
        for user_id in ids:
            record = load_user(c, int(user_id))
            assert record is not None
            out.append((record.id, record.version))
    return out


def test_two_instances_racing_on_the_same_rows_lose_no_update(
    instances: tuple[Database, Database],
) -> None:
    alice, bob = instances
    seen = _users(alice, ROWS)  # both opened the same rows at the same versions
    outcome: dict[str, dict[int, str]] = {"alice": {}, "bob": {}}
    start = threading.Barrier(2)

    def edit(who: str, db: Database) -> None:
        actor = Actor(who, who)
        start.wait()
        for user_id, version in seen:
            try:
                users.update(db, actor, user_id, version, {"name": f"Renamed By {who}"})
            except ConflictError as exc:
                outcome[who][user_id] = "conflict: " + exc.message
            else:
                outcome[who][user_id] = "saved"

    threads = [threading.Thread(target=edit, args=a) for a in (("alice", alice), ("bob", bob))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with alice.engine.connect() as c:
        rows = c.execute(
            text('SELECT id, name FROM "user" WHERE id = ANY(:ids)'),
            {"ids": [u for u, _ in seen]},
        ).all()
        names = {int(r[0]): str(r[1]) for r in rows}
        rows = c.execute(
            text(
                "SELECT entity_id, count(*) FROM tenantry_audit WHERE entity = 'user'"
                " AND entity_id = ANY(:ids) GROUP BY entity_id"
            ),
            {"ids": [u for u, _ in seen]},
        ).all()
        audited = {int(r[0]): int(r[1]) for r in rows}
    wins = {"alice": 0, "bob": 0}
    for user_id, _ in seen:
        results = (outcome["alice"][user_id], outcome["bob"][user_id])
        # Exactly one instance saved each row; the other was told, nothing was overwritten.
        assert sorted(r == "saved" for r in results) == [False, True], (user_id, results)
        winner = "alice" if results[0] == "saved" else "bob"
        loser = "bob" if winner == "alice" else "alice"
        assert outcome[loser][user_id] == (
            "conflict: This user was changed by someone else after you opened it."
        )
        assert names[user_id] == f"Renamed By {winner}"
        assert audited[user_id] == 1, "one audited change per row: the winner's"
        wins[winner] += 1
    print(f"\n{ROWS} rows raced by two instances: wins {wins}, every loser told, none lost")


def test_second_instance_form_is_told_and_keeps_its_edit(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, instances: tuple[Database, Database]
) -> None:
    alice, bob = instances
    bob_runner = Runner()  # the second instance has its own background runner
    try:
        (user_id, _), *_ = _users(alice, 1)
        forms = []
        for db, run in ((alice, runner), (bob, bob_runner)):
            form = UserForm(EditContext(db, run, Actor(db.label, "tester")), user_id)
            qtbot.addWidget(form)
            form.show()
            forms.append(form)
        qtbot.waitUntil(lambda: all(f.record is not None for f in forms), timeout=10_000)
        first, second = forms
        assert isinstance(first.name, QLineEdit) and isinstance(second.name, QLineEdit)
        first.name.setText("Alice Was First")
        with qtbot.waitSignal(first.saved, timeout=10_000):
            first.save()

        second.name.setText("Bob Came Second")
        shown: list[bool] = []

        def keep_editing() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None or dialog.objectName() != "conflictDialog":
                QTimer.singleShot(50, keep_editing)
                return
            shown.append(dialog.findChild(QPushButton, "overwriteButton") is not None)
            button = dialog.findChild(QPushButton, "keepEditingButton")
            assert button is not None
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

        QTimer.singleShot(50, keep_editing)
        second.save()
        qtbot.waitUntil(lambda: "not saved" in second.message.text(), timeout=10_000)
        assert shown == [True], "the conflict dialog offered a deliberate overwrite"
        assert "changed by someone else" in second.message.text()
        assert second.name.text() == "Bob Came Second" and second.isVisible()
        with alice.engine.connect() as c:
            name = c.execute(text('SELECT name FROM "user" WHERE id = :id'), {"id": user_id})
            assert name.scalar_one() == "Alice Was First"
    finally:
        bob_runner.shutdown(timeout_ms=20_000)


# -- 50 rapid searches ---------------------------------------------------------------------

BURST = 50
LAST = "son"


def _burst_terms() -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    terms = [a + b for a in letters[:5] for b in letters[:10]][: BURST - 1]
    return [*terms, LAST]


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Test database", environment="development")
    yield db
    db.dispose()


def _checked_out(db: Database) -> int:
    """Connections of the app's pool in use right now."""
    pool: Any = db.engine.pool  # a QueuePool: the Pool base class does not declare the count
    return int(pool.checkedout())


def _burst(qtbot: Any, window: MainWindow, loaded: list[str]) -> float:
    """Type-and-Enter 50 searches as fast as the GUI takes them; wait until all is idle."""
    tab = window.browse_tabs["users"]
    loaded.clear()
    started = time.monotonic()
    for term in _burst_terms():
        tab.filters.search.setText(term)
        tab.filters.flush()  # Enter: no debounce, each search really goes out
    qtbot.waitUntil(lambda: bool(loaded) and not tab.model.is_loading, timeout=20_000)
    assert window.runner.wait(20_000)
    qtbot.wait(200)  # let late results (which must be dropped) arrive if any
    return time.monotonic() - started


def test_fifty_rapid_searches_show_the_last_and_leave_nothing_behind(  # type: ignore[no-untyped-def]
    qtbot,
    runner: Runner,
    seeded_url: str,
    database: Database,
    sql_guard: GuiThreadGuard,
    heartbeat: Heartbeat,
) -> None:
    name = make_url(seeded_url).database
    assert name
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(database)
    tab = window.browse_tabs["users"]
    window.tabs.setCurrentWidget(tab)
    loaded: list[str] = []
    tab.model.page_loaded.connect(lambda _rows: loaded.append(tab.model.state.search))

    # A first burst warms up what is pooled (database connections, Qt pool threads).
    _burst(qtbot, window, loaded)
    assert loaded == [LAST]
    # The kernel's count: Python's threading.active_count() keeps stale dummy entries for
    # Qt pool threads that once ran Python code, so it is no measure of threads alive.
    baseline_threads = os_threads()
    baseline_pool = _checked_out(database)
    with sql_guard.allow():
        baseline_sessions = len(backends(seeded_url, name))

    heartbeat.start()
    elapsed = _burst(qtbot, window, loaded)
    heartbeat.stop()
    assert loaded == [LAST], f"only the last search may be shown, saw {loaded}"
    with sql_guard.allow():
        expected = independent_ids(database.engine, tab.model.state)
    qtbot.waitUntil(lambda: tab.model.total.kind == "exact", timeout=10_000)
    # The last search's side jobs (its count, and its planner estimate on the other pool)
    # may finish in either order: wait for both before looking at the server.
    qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=10_000)
    assert tab.model.state.search == LAST
    assert tab.model.rowCount() == len(expected) > 0
    shown = [tab.model.index(r, 0).data(RowRole)[0] for r in range(min(len(expected), 100))]
    assert shown == expected[:100]

    with sql_guard.allow():
        sessions = backends(seeded_url, name)
    assert [s for s in sessions if s[1] != "idle"] == [], f"queries left running: {sessions}"
    # Nothing kept beyond what the pool holds. (Not "as many as before the burst": a
    # connection a cancel was sent on is closed rather than pooled, so that a late cancel
    # cannot stop the next job's query, and the pool opens a new one when it needs one.)
    assert len(sessions) <= database.engine.pool.size(), (sessions, baseline_sessions)
    assert _checked_out(database) == baseline_pool == 0
    assert os_threads() <= baseline_threads, (os_threads(), baseline_threads)
    assert runner.in_flight() == 0
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(
        f"\n{BURST} searches in {elapsed:.2f} s; threads {os_threads()} (baseline "
        f"{baseline_threads}); sessions {len(sessions)}; checked out "
        f"{_checked_out(database)}; longest GUI pause "
        f"{heartbeat.max_gap() * 1000:.0f} ms"
    )
