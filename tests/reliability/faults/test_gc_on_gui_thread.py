"""Qt objects are collected on the GUI thread only, even with collections forced in workers.

A collection on a worker thread destroys the Qt objects it frees there; with PySide6 6.11
Qt's connection lock and the interpreter's lock then blocked each other and a test run
never returned. The stress runs in a child process (a deadlock there is a timeout here,
not a hung suite), built as the app builds its QApplication.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from desktop.core import memory

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ROUNDS = 60
TIMEOUT_S = 120


def test_searches_reloads_and_dialogs_with_worker_collections_free_qt_on_the_gui_thread(
    seeded_url: str,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "gc_stress.py"), seeded_url, str(ROUNDS)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"the stress process hung (a deadlock): {str(exc.stderr)[-500:]}"
        ) from None
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["worker_tasks"] > ROUNDS  # every search and reload ran gc.collect() twice
    assert result["finalized_off_gui"] == 0, result
    assert result["collections_off_gui"] == 0, result
    assert result["finalized_on_gui"] == result["created"] == ROUNDS * 21, result
    assert result["collections_on_gui"] > 0
    assert result["gc_enabled"] is False
    print(f"\ngc stress: {result}")


def test_the_suites_qapp_collects_on_the_gui_thread_only(qapp: object) -> None:
    assert not gc.isenabled()
    assert memory.collecting_thread() == threading.get_ident()
    found: list[int] = []

    def worker() -> None:
        found.append(gc.collect())  # deferred to the GUI thread's next collection

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert found == [0]
    assert memory.collect_due() >= 0


FREEZE_PROBE = """
import gc, json, sys, threading
from desktop.ui.application import make_app
from desktop.core import memory
from desktop.services.database import open_database

app = make_app(["probe"])
opened = []
worker = threading.Thread(target=lambda: opened.append(
    open_database(sys.argv[1], label="probe", environment="development")))
worker.start()
worker.join()
after_worker = gc.get_freeze_count()
memory.collect_due()  # the GUI timer's tick
print(json.dumps({"after_worker": after_worker, "after_tick": gc.get_freeze_count()}))
opened[0].dispose()
"""


def test_the_freeze_after_connecting_on_a_worker_happens_on_the_gui_thread(
    seeded_url: str,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE, seeded_url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["after_worker"] == 0  # its young collection must not run on the worker
    assert probe["after_tick"] > 10_000
