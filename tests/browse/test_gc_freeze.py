"""Opening a database moves the loaded app into the collector's permanent generation, so a
full collection later (say, mid-scroll) walks only what was created since."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json, sys
sys.path.insert(0, sys.argv[2])
from desktop.core import memory
from desktop.services.database import open_database

tracked_before = len(gc.get_objects())
database = open_database(sys.argv[1], label="probe", environment="development")
frozen = gc.get_freeze_count()
again = memory.freeze_long_lived()
gc.collect()
print(json.dumps({"before": tracked_before, "frozen": frozen, "tracked": len(gc.get_objects()),
                  "again": again}))
database.dispose()
"""


def test_opening_a_database_freezes_the_long_lived_objects_once(seeded_url: str) -> None:
    # A fresh interpreter: freezing is once per process, and this one runs the whole suite.
    out = subprocess.run(
        [sys.executable, "-c", PROBE, seeded_url, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["frozen"] > probe["before"] > 10_000  # SQLAlchemy and the app, at least
    assert probe["tracked"] < probe["frozen"] / 10  # what a full collection still walks
    assert probe["again"] is False  # a later connection freezes nothing more
