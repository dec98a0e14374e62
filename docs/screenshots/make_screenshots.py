"""The README's screenshots, made offscreen from the demo database (and the Firebase emulator).

    python docs/screenshots/make_screenshots.py                 # all, into docs/screenshots/
    python docs/screenshots/make_screenshots.py --skip-firebase --out /tmp/shots
    QT_SCALE_FACTOR=2 python docs/screenshots/make_screenshots.py --out /tmp/hidpi

Everything runs in a temporary TENANTRY_HOME (its own demo cluster, no profiles, no saved
window state), so the pictures do not depend on who runs it. The drift report needs the
Firebase Auth emulator from tests/firebase/node_modules (Node.js 20); a small second
database on the demo server is given a Firebase project with some drift on purpose.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
WINDOW_SIZE = (1400, 860)
DRIFT_USERS = 300

SHOTS = (
    "gallery-tenant-view.png",
    "gallery-user-form.png",
    "gallery-plugin-credentials.png",
    "gallery-migrations.png",
    "gallery-firebase-drift.png",
    "gallery-dark-scheme.png",
)


def wait_until(condition: Callable[[], object], what: str, timeout_s: float = 60) -> None:
    """Run the event loop until `condition()` is true (or fail saying what never happened)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def settle(ms: int = 300) -> None:
    end = time.monotonic() + ms / 1000
    wait_until(lambda: time.monotonic() > end, "a pause", timeout_s=ms / 1000 + 5)


class Shooter:
    """One window on the demo database; each method makes one picture."""

    def __init__(self, out: Path, users: int) -> None:
        from desktop.services.demo import DemoDatabase
        from desktop.ui.main_window import MainWindow
        from desktop.ui.runner import Runner

        self.out = out
        self.demo = DemoDatabase(users=users)
        print(f"Starting the demo database ({users:,} users)…", flush=True)
        self.database = self.demo.open()
        self.runner = Runner()
        self.window = MainWindow(self.runner)
        self.window.resize(*WINDOW_SIZE)
        self.window.show()
        self.window.set_database(self.database)
        wait_until(lambda: not self._waiting(), "the first pages")
        self.extra: list[Any] = []

    def _waiting(self) -> bool:
        return any(m.is_loading or m.rowCount() == 0 for m in self.window.models.values())

    def save(self, widget: Any, name: str) -> Path:
        settle()
        path = self.out / name
        widget.grab().save(str(path))
        print(f"  {path}", flush=True)
        return path

    def tenant_view(self, name: str = "gallery-tenant-view.png") -> Path:
        window = self.window
        window.tabs.setCurrentWidget(window.tenants)
        tenants = window.tenants
        orgs = tenants.organizations
        from PySide6.QtCore import Qt

        # The organizations with the most users first: a full right-hand side.
        with_users = [orgs.model.column_key(c) for c in range(orgs.model.columnCount())]
        orgs.view.sortByColumn(with_users.index("users"), Qt.SortOrder.DescendingOrder)
        wait_until(lambda: orgs.model.state.sort == "users", "sorting by users")
        wait_until(lambda: not orgs.model.is_loading and orgs.model.record(0) is not None, "rows")
        orgs.view.selectRow(0)
        wait_until(
            lambda: (
                tenants.current is not None
                and not tenants.users.model.is_loading
                and not tenants.plugins.model.is_loading
                and tenants.users.model.rowCount() > 0
                and "users" in tenants.summary.text()
            ),
            "the organization's users and plugins",
        )
        tenants.users.view.selectRow(1)
        return self.save(window, name)

    def _edit_row(self, table: str, row: int, form_type: type) -> Any:
        window = self.window
        tab = window.browse_tabs[table]
        window.tabs.setCurrentWidget(tab)
        wait_until(lambda: tab.model.record(row) is not None, f"{table} row {row}")
        tab.view.setFocus()
        tab.view.selectRow(row)
        window.editing.edit()
        forms = [f for f in window.findChildren(form_type) if f.isVisible()]
        if not forms:
            raise RuntimeError(f"no {form_type.__name__} opened")
        form = forms[-1]
        wait_until(lambda: form.record is not None, f"the {table} record")
        return form

    def user_form(self, name: str = "gallery-user-form.png") -> Path:
        from desktop.ui.forms.user_form import UserForm

        form = self._edit_row("users", 2, UserForm)
        path = self.save(form, name)
        form.reject()
        return path

    def plugin_form(self, name: str = "gallery-plugin-credentials.png") -> Path:
        from desktop.ui.forms.plugin_form import PluginForm

        form = self._edit_row("plugins", 0, PluginForm)
        form.resize(720, form.sizeHint().height())
        path = self.save(form, name)
        form.reject()
        return path

    def migrations(self, name: str = "gallery-migrations.png") -> Path:
        window = self.window
        window.tabs.setCurrentWidget(window.migrations_tab)
        panel = window.migrations_panel  # built when the tab is first shown
        wait_until(lambda: panel.status is not None, "the migration status")
        return self.save(window, name)

    def dark(self, name: str = "gallery-dark-scheme.png") -> Path:
        from desktop.ui.theme import Theme

        theme = Theme.instance()
        theme.set_preference("dark")
        try:
            self.window.tabs.setCurrentWidget(self.window.tenants)
            return self.save(self.window, name)
        finally:
            theme.set_preference("light")

    def firebase_drift(self, name: str = "gallery-firebase-drift.png") -> Path:
        helpers = _firebase_helpers()
        emulator = helpers.AuthEmulator()
        print("Starting the Firebase Auth emulator…", flush=True)
        emulator.start()
        self.extra.append(emulator)
        database = _drift_database(self, emulator.host, helpers.PROJECT_ID)
        self.extra.append(database)
        window = self.window
        window.set_database(database)
        wait_until(lambda: window.firebase.drift_action.isEnabled(), "the Firebase project")
        window.firebase.open_drift()
        from desktop.ui.firebase_drift import DriftDialog

        dialog = next(d for d in window.findChildren(DriftDialog) if d.isVisible())
        reports: list[object] = []
        dialog.report_ready.connect(reports.append)
        dialog.run_check()
        wait_until(lambda: reports, "the drift report")
        dialog.resize(1240, 620)
        path = self.save(dialog, name)
        dialog.reject()
        return path

    def close(self) -> None:
        self.window.close()
        self.runner.shutdown(timeout_ms=20_000)
        for item in reversed(self.extra):
            (getattr(item, "stop", None) or item.dispose)()
        self.database.dispose()
        self.demo.close()


def _firebase_helpers() -> ModuleType:
    """tests/firebase/helpers.py: the emulator process the Firebase tests use."""
    path = ROOT / "tests" / "firebase" / "helpers.py"
    spec = importlib.util.spec_from_file_location("tenantry_firebase_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drift_database(shooter: Shooter, host: str, project: str) -> Any:
    """A small "staging" database whose Firebase project has some of every kind of drift."""
    from firebase_admin import auth
    from sqlalchemy import create_engine, text

    from desktop.core.profiles import Profile
    from desktop.db import migrate, seed
    from desktop.services.database import open_database
    from desktop.services.demo import ensure_database
    from desktop.services.firebase.client import connect
    from desktop.services.firebase.settings import emulator_settings

    server = shooter.demo.server
    assert server is not None
    url = ensure_database(server.url(), "tenantry_staging")
    engine = create_engine(url)
    try:
        migrate.upgrade_to_head(engine)
        with engine.begin() as connection:
            if seed.is_empty(connection):
                seed.seed(connection, seed.SeedSize.for_users(DRIFT_USERS))
            users = connection.execute(
                text(
                    'SELECT id, email, status, firebase_id FROM "user" '
                    "WHERE firebase_id IS NOT NULL ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    client = connect(emulator_settings(project, host))
    try:
        records = []
        for index, (_id, email, status, uid) in enumerate(users):
            if index % 37 == 5:
                continue  # firebase_id pointing nowhere: the account was deleted
            if index % 41 == 9:
                email = email.replace("@", ".old@")  # the email changed on one side only
            disabled = status != 1
            if index % 43 == 11:
                disabled = not disabled  # disabled flag and status disagree
            records.append(auth.ImportUserRecord(uid=uid, email=email, disabled=disabled))
        for n in range(4):  # accounts nobody in the database has
            records.append(
                auth.ImportUserRecord(uid=f"orphan-{n}", email=f"former.contractor{n}@example.com")
            )
        client.auth.import_users(records)
    finally:
        client.close()
    database = open_database(url, label="Staging (Firebase emulator)", environment="staging")
    profile = Profile(
        name="staging",
        port=server.running_port,
        database="tenantry_staging",
        environment="staging",
        firebase_project=project,
        firebase_emulator=host,
    )
    return dataclasses.replace(database, profile=profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    parser.add_argument("--users", type=int, default=20_000, help="demo users (first run)")
    parser.add_argument("--skip-firebase", action="store_true", help="no emulator, no drift")
    parser.add_argument("--home", type=Path, help="TENANTRY_HOME to use (default: temporary)")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.pop("TENANTRY_COLOR_SCHEME", None)
    home = args.home or Path(tempfile.mkdtemp(prefix="tenantry-shots-"))
    os.environ["TENANTRY_HOME"] = str(home)
    sys.path.insert(0, str(ROOT))
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from desktop.ui.application import app_icon
    from desktop.ui.theme import install

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Tenantry")
    app.setWindowIcon(app_icon())
    install(app, "light")

    shooter = Shooter(args.out, args.users)
    try:
        print("Writing screenshots:", flush=True)
        shooter.tenant_view()
        shooter.user_form()
        shooter.plugin_form()
        shooter.migrations()
        shooter.dark()
        if not args.skip_firebase:
            shooter.firebase_drift()
    finally:
        shooter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
