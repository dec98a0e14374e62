"""A child process for test_gc_on_gui_thread: searches, reloads and dialogs under GC pressure.

    python gc_stress.py DATABASE_URL ROUNDS

Builds the QApplication as the app does (`desktop.ui.application.make_app`), then every
background task of the runner calls `gc.collect()` before and after its work (the worst
case: a collection on a worker while the GUI thread has cyclic Qt garbage pending). Each
round creates cyclic Qt objects on the GUI thread and drops them, runs a search, every
fifth round reloads the view, and opens and closes a dialog. The objects record, when
they are finalized, which thread did it; `gc.callbacks` records which thread collected.
Prints one JSON line: what was finalized and collected where.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QDialog, QLineEdit, QPushButton, QVBoxLayout  # noqa: E402

from desktop.core.view_state import ViewState  # noqa: E402
from desktop.services.columns import TABLES  # noqa: E402
from desktop.services.database import open_database  # noqa: E402
from desktop.ui import runner as runner_module  # noqa: E402
from desktop.ui.application import make_app  # noqa: E402
from desktop.ui.runner import Runner  # noqa: E402
from desktop.ui.table_model import PagedTableModel  # noqa: E402
from desktop.ui.table_view import BrowseTab  # noqa: E402

GUI = threading.get_ident()
finalized = {"gui": 0, "other": 0, "other_threads": set()}  # type: dict[str, Any]
collections = {"gui": 0, "other": 0}
worker_calls = [0]


def _finalized_here() -> None:
    if threading.get_ident() == GUI:
        finalized["gui"] += 1
    else:
        finalized["other"] += 1
        finalized["other_threads"].add(threading.current_thread().name)


class Probe(QObject):
    """A QObject in a reference cycle (only the cyclic collector frees it)."""

    def __init__(self) -> None:
        super().__init__()
        self.me = self
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)  # a bound slot: a connection to tear down

    def tick(self) -> None:
        pass

    def __del__(self) -> None:
        _finalized_here()


class ProbeDialog(QDialog):
    """A small dialog with a few widgets and signal connections, in a cycle."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.field = QLineEdit(self)
        self.button = QPushButton("OK", self)
        layout.addWidget(self.field)
        layout.addWidget(self.button)
        self.button.clicked.connect(self.accept)
        self.field.textChanged.connect(self.setWindowTitle)
        self.me = self

    def __del__(self) -> None:
        _finalized_here()


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        collections["gui" if threading.get_ident() == GUI else "other"] += 1


def main() -> int:
    url, rounds = sys.argv[1], int(sys.argv[2])
    app = make_app(["gc-stress"])
    real_run = runner_module._Job.run  # noqa: SLF001 - instrumenting the runner's tasks

    def run_collecting(self: Any) -> None:
        worker_calls[0] += 1
        gc.collect()
        real_run(self)
        gc.collect()

    runner_module._Job.run = run_collecting  # type: ignore[method-assign]  # noqa: SLF001
    gc.callbacks.append(_on_gc)
    database = open_database(url, label="stress", environment="development")
    runner = Runner()
    tab = BrowseTab(PagedTableModel(TABLES["users"], runner), runner)
    tab.resize(900, 600)
    tab.show()
    model = tab.model
    model.set_database(database)

    def pump(until: Any, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while not until():
            if time.monotonic() > deadline:
                raise TimeoutError("the view did not load")
            app.processEvents()
            time.sleep(0.001)

    pump(lambda: not model.is_loading)
    terms = ["a", "ma", "son", "li", "er", "an", "ch", "e", "o", "ri"]
    created = 0
    for index in range(rounds):
        for _ in range(20):
            Probe()
            created += 1
        model.set_state(ViewState("users", search=terms[index % len(terms)]))
        if index % 5 == 4:
            model.set_database(database)  # a reload
        dialog = ProbeDialog()
        dialog.field.setText(f"round {index}")
        dialog.show()
        app.processEvents()
        dialog.button.click()
        created += 1
        del dialog
        pump(lambda: not model.is_loading and runner.in_flight() == 0)
    # Let the GUI thread's collector run a few times, then collect what is left, here.
    settled = time.monotonic() + 2.5
    pump(lambda: time.monotonic() > settled)
    gc.collect()
    runner.shutdown()
    database.dispose()
    gc.callbacks.remove(_on_gc)
    print(
        json.dumps(
            {
                "created": created,
                "finalized_on_gui": finalized["gui"],
                "finalized_off_gui": finalized["other"],
                "off_gui_threads": sorted(finalized["other_threads"]),
                "collections_on_gui": collections["gui"],
                "collections_off_gui": collections["other"],
                "worker_tasks": worker_calls[0],
                "gc_enabled": gc.isenabled(),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
