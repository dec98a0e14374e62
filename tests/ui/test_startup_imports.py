"""Start-up stays light: building and showing the window imports no database layer, and
none of the UI that only opens on demand (each Qt class a module uses costs its enums)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from desktop.db.queries import SORTS
from desktop.services.columns import TABLES

HEAVY = ("sqlalchemy", "psycopg2", "keyring", "alembic", "firebase_admin", "desktop.db.models")
ON_DEMAND = (
    "desktop.ui.about_dialog",
    "desktop.ui.accessibility",
    "desktop.ui.connection_dialog",
    "desktop.ui.crash_dialog",
    "desktop.ui.migrations_panel",
)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtWidgets import QApplication
    from desktop.ui.main_window import MainWindow
    from desktop.ui.runner import Runner

    app = QApplication([])
    runner = Runner()
    window = MainWindow(runner)
    window.show()
    app.processEvents()
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY_ROOTS})
                     + [m for m in sys.modules if m in {OWN}]))
    runner.shutdown()
    """
)


def test_window_shows_without_the_database_layer(tmp_path: object) -> None:
    roots = sorted({name.split(".")[0] for name in HEAVY if not name.startswith("desktop")})
    own = {name for name in HEAVY if name.startswith("desktop")} | set(ON_DEMAND)
    script = SCRIPT.replace("{HEAVY_ROOTS}", repr(set(roots))).replace("{OWN}", repr(own))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TENANTRY_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported before the window showed: {loaded}"


def test_column_specs_agree_with_the_query_layer() -> None:
    """`Column.sortable` (used by the header without SQLAlchemy) matches the real sorts."""
    for name, spec in TABLES.items():
        sortable = {column.key for column in spec.columns if column.sortable}
        assert sortable == set(SORTS[name]), name
