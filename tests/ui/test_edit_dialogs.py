"""Plugin form, organization delete, bulk, audit and CSV import dialogs on a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QWidget
from sqlalchemy import text

from desktop.db.models import UserStatus
from desktop.services import audit, plugins
from desktop.services.database import Database, open_database
from desktop.services.writes import Actor
from desktop.ui.forms.audit_view import AuditView
from desktop.ui.forms.bulk_dialog import BulkDialog
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.csv_import_dialog import CsvImportDialog
from desktop.ui.forms.organization_delete import OrganizationDeleteDialog
from desktop.ui.forms.plugin_form import PluginForm
from desktop.ui.runner import Runner

SECRET = "sk_live_never_show_me_4242"


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Test", environment="development")
    yield db
    db.dispose()


@pytest.fixture
def context(database: Database, runner: Runner) -> EditContext:
    return EditContext(database, runner, Actor("test", "tester"))


def _all_text(widget: QWidget) -> str:
    parts = [w.text() for w in widget.findChildren(QLabel)]
    parts += [w.text() for w in widget.findChildren(QLineEdit)]
    parts += [w.toPlainText() for w in widget.findChildren(QPlainTextEdit)]
    return "\n".join(parts)


def test_plugin_credentials_are_masked_until_revealed(
    qtbot, context: EditContext, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    created = plugins.create(
        context.database,
        context.actor,
        {
            "organization_id": 1,
            "data_source": "stripe",
            "title": "Stripe test",
            "credentials": json.dumps({"api_key": SECRET}),
            "properties": "{}",
        },
    )
    form = PluginForm(context, created.id)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
    assert SECRET not in _all_text(form)
    assert "api_key" in form.credentials.text.toPlainText()
    # Saving other fields keeps the credentials untouched.
    form.properties.text.setPlainText('{"region": "eu"}')
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    with context.database.engine.connect() as c:
        stored = c.execute(
            text("SELECT credentials, properties FROM plugin WHERE id = :i"), {"i": created.id}
        ).one()
    assert stored.credentials == {"api_key": SECRET} and stored.properties == {"region": "eu"}
    # Revealing is deliberate (confirmed) and audited.
    form2 = PluginForm(context, created.id)
    qtbot.addWidget(form2)
    qtbot.waitUntil(lambda: form2.record is not None, timeout=10_000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    form2.reveal()
    qtbot.waitUntil(lambda: form2.revealed, timeout=10_000)
    assert SECRET in form2.credentials.text.toPlainText()
    assert audit.entries(context.database, limit=1)[0].action == "reveal_credentials"


def test_invalid_json_is_reported_on_its_field(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    form = PluginForm(context, 1)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
    form.properties.text.setPlainText('{"broken": ')
    assert "not valid JSON" in form.properties.status.text()
    form.save()
    assert "not valid JSON" in form.field_error("properties")
    assert form.properties.text.toPlainText() == '{"broken": '


def test_organization_delete_shows_impact_and_deletes(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    with context.database.engine.connect() as c:
        users = c.execute(text('SELECT count(*) FROM "user" WHERE organization_id = 3')).scalar()
        plugin_count = c.execute(
            text("SELECT count(*) FROM plugin WHERE organization_id = 3")
        ).scalar()
    dialog = OrganizationDeleteDialog(context, 3)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.impact is not None, timeout=10_000)
    assert f"{users:,} users" in dialog.summary.text()
    assert f"{plugin_count:,} plugins" in dialog.summary.text()
    with qtbot.waitSignal(dialog.deleted, timeout=10_000):
        dialog.confirm()
    with context.database.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM organization WHERE id = 3")).scalar() == 0


def test_production_delete_needs_the_typed_name(qtbot, database: Database, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    prod = Database(database.engine, "Prod", "production", database.info)
    dialog = OrganizationDeleteDialog(EditContext(prod, runner, Actor("p", "dba")), 4)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.impact is not None, timeout=10_000)
    assert not dialog.delete_button.isEnabled()
    assert dialog.impact is not None
    dialog.typed.setText(dialog.impact.organization.name + "x")
    assert not dialog.delete_button.isEnabled()
    dialog.typed.setText(dialog.impact.organization.name)
    assert dialog.delete_button.isEnabled()


def test_bulk_status_with_progress(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    with context.database.engine.connect() as c:
        rows = c.execute(
            text('SELECT id, status FROM "user" WHERE NOT is_system ORDER BY id LIMIT 300')
        ).all()
    ids = [row.id for row in rows]
    deleted = [row.id for row in rows if row.status == int(UserStatus.DELETED)]
    inactive = [row.id for row in rows if row.status == int(UserStatus.INACTIVE)]
    assert deleted and inactive  # the seeded data mixes statuses
    dialog = BulkDialog(context, ids, "status")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.selection is not None, timeout=10_000)
    assert "300 users selected" in dialog.summary.text()
    dialog.status.setCurrentIndex(dialog.status.findData(UserStatus.INACTIVE))
    assert f"{len(deleted)} Deleted users are skipped" in dialog.summary.text()
    assert dialog.include_deleted.isVisibleTo(dialog)
    assert dialog.include_deleted.text() == f"Also change the {len(deleted)} Deleted users"
    messages: list[str] = []
    dialog.done_message.connect(messages.append)
    with qtbot.waitSignal(dialog.finished_ok, timeout=10_000) as done:
        dialog.apply()
    assert done.args == [300 - len(deleted) - len(inactive)]
    assert f"{len(deleted)} Deleted users were skipped" in messages[0]
    with context.database.engine.connect() as c:
        now = dict(
            c.execute(text('SELECT id, status FROM "user" WHERE id = ANY(:i)'), {"i": ids}).all()
        )
    assert {now[i] for i in deleted} == {int(UserStatus.DELETED)}
    assert {now[i] for i in ids if i not in deleted} == {int(UserStatus.INACTIVE)}


def test_bulk_deactivate_includes_deleted_users_when_chosen(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    with context.database.engine.connect() as c:
        ids = list(
            c.execute(
                text('SELECT id FROM "user" WHERE status = 3 AND NOT is_system LIMIT 20')
            ).scalars()
        )
    dialog = BulkDialog(context, ids, "status")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.selection is not None, timeout=10_000)
    dialog.status.setCurrentIndex(dialog.status.findData(UserStatus.INACTIVE))
    assert not dialog.apply_button.isEnabled()  # nothing would change
    dialog.include_deleted.setChecked(True)
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.finished_ok, timeout=10_000) as done:
        dialog.apply()
    assert done.args == [len(ids)]


def test_audit_view_lists_changes(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    plugins.reveal_credentials(context.database, context.actor, 1)
    view = AuditView(context.runner)
    qtbot.addWidget(view)
    view.set_database(context.database)
    view.reload()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert view.table.item(0, 6).text() == "reveal_credentials"
    view.entity.setCurrentIndex(view.entity.findData("user"))
    qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=10_000)


def test_csv_import_dialog_dry_run_then_apply(qtbot, context: EditContext, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text("name,email\nAda,ada@import.example\n,broken@import.example\n")
    dialog = CsvImportDialog(context, (1, "Org one"))
    qtbot.addWidget(dialog)
    dialog.load(path)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10_000)
    assert "1 rows are valid" in dialog.summary.text() and dialog.errors.rowCount() == 1
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as done:
        dialog.apply()
    assert done.args == [1]
