"""The user form on a real database: load, validate on the field, save, conflicts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import text

from desktop.services import users
from desktop.services.database import Database, open_database
from desktop.services.records import load_user
from desktop.services.writes import Actor
from desktop.ui.forms import conflict_dialog
from desktop.ui.forms.context import EditContext
from desktop.ui.forms.user_form import UserForm
from desktop.ui.runner import Runner


@pytest.fixture
def database(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Test", environment="development")
    yield db
    db.dispose()


@pytest.fixture
def context(database: Database, runner: Runner) -> EditContext:
    return EditContext(database, runner, Actor("test", "tester"))


def _first_user(db: Database) -> int:
    with db.engine.connect() as c:
        return int(
            c.execute(
                text('SELECT id FROM "user" WHERE NOT is_system ORDER BY id LIMIT 1')
            ).scalar_one()
        )


def _open(qtbot, context: EditContext, user_id: int) -> UserForm:  # type: ignore[no-untyped-def]
    form = UserForm(context, user_id)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
    return form


def test_edit_and_save(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    user_id = _first_user(context.database)
    form = _open(qtbot, context, user_id)
    assert isinstance(form.name, QLineEdit)
    form.name.setText("Edited In Form")
    with qtbot.waitSignal(form.saved, timeout=10_000):
        qtbot.mouseClick(form.save_button, qtbot_button())
    with context.database.engine.connect() as c:
        assert load_user(c, user_id).name == "Edited In Form"
    assert context.undo.next_description is not None


def qtbot_button():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_invalid_email_is_shown_on_the_field_and_kept(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    user_id = _first_user(context.database)
    form = _open(qtbot, context, user_id)
    assert isinstance(form.email, QLineEdit)
    form.email.setText("definitely not an email")
    form.save()
    qtbot.waitUntil(lambda: bool(form.field_error("email")), timeout=10_000)
    assert "not a valid email" in form.field_error("email")
    assert form.email.text() == "definitely not an email"
    assert form.isVisible()
    with context.database.engine.connect() as c:
        assert load_user(c, user_id).email != "definitely not an email"


def test_duplicate_email_from_the_database_lands_on_the_field(qtbot, context: EditContext) -> None:  # type: ignore[no-untyped-def]
    with context.database.engine.connect() as c:
        a, b = c.execute(text('SELECT id, email FROM "user" ORDER BY id LIMIT 2')).all()
    form = _open(qtbot, context, b.id)
    assert isinstance(form.email, QLineEdit)
    form.email.setText(a.email)
    form.save()
    qtbot.waitUntil(lambda: bool(form.field_error("email")), timeout=10_000)
    assert "already has this email" in form.field_error("email")


def test_conflict_shows_both_versions_and_overwrite_is_deliberate(
    qtbot,
    context: EditContext,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    user_id = _first_user(context.database)
    form = _open(qtbot, context, user_id)
    with context.database.engine.connect() as c:
        record = load_user(c, user_id)
    users.update(
        context.database,
        Actor("colleague", "them"),
        user_id,
        record.version,
        {"name": "Colleague Was Here"},
    )
    seen: list[dict[str, object] | None] = []

    def choose_keep(self) -> int:  # type: ignore[no-untyped-def]
        seen.append(self.findChild(object, "conflictTable") and {"shown": True})
        self.resolution = conflict_dialog.Resolution.CANCEL
        return 0

    monkeypatch.setattr(conflict_dialog.ConflictDialog, "exec", choose_keep)
    assert isinstance(form.name, QLineEdit)
    form.name.setText("Mine")
    form.save()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    with context.database.engine.connect() as c:
        assert load_user(c, user_id).name == "Colleague Was Here"
    assert form.name.text() == "Mine"  # nothing typed is lost

    def choose_overwrite(self) -> int:  # type: ignore[no-untyped-def]
        self.resolution = conflict_dialog.Resolution.OVERWRITE
        return 1

    monkeypatch.setattr(conflict_dialog.ConflictDialog, "exec", choose_overwrite)
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    with context.database.engine.connect() as c:
        assert load_user(c, user_id).name == "Mine"


def test_read_only_profile_cannot_save(qtbot, seeded_url: str, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    db = open_database(seeded_url, label="Support", environment="production", read_only=True)
    try:
        form = UserForm(EditContext(db, runner, Actor("support", "s")), _first_user(db))
        qtbot.addWidget(form)
        form.show()
        qtbot.waitUntil(lambda: form.record is not None, timeout=10_000)
        assert not form.save_button.isEnabled()
        assert "Read-only" in form.notice.text() and form.notice.isVisible()
    finally:
        runner.wait()
        db.dispose()


def test_production_asks_before_saving_and_no_means_nothing_written(
    qtbot,
    seeded_url: str,
    runner: Runner,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from desktop.ui.forms import user_form

    db = open_database(seeded_url, label="Prod", environment="production")
    asked: list[str] = []
    monkeypatch.setattr(
        user_form, "confirm_write", lambda parent, database, summary: asked.append(summary) or False
    )
    try:
        user_id = _first_user(db)
        form = _open(qtbot, EditContext(db, runner, Actor("prod", "dba")), user_id)
        assert isinstance(form.name, QLineEdit)
        form.name.setText("Production Rename")
        form.save()
        assert asked and "Production Rename" in asked[0]
        runner.wait()
        with db.engine.connect() as c:
            assert load_user(c, user_id).name != "Production Rename"
        assert form.name.text() == "Production Rename"
    finally:
        runner.wait()
        db.dispose()


def test_esc_with_unsaved_edits_warns_first_and_keeps_what_was_typed(
    qtbot, context: EditContext
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialog

    from desktop.ui.forms.base import DISCARD_WARNING

    user_id = _first_user(context.database)
    # Untouched (the record was filled in by the form itself): Esc closes at once.
    form = _open(qtbot, context, user_id)
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)
    assert not form.isVisible() and form.result() == QDialog.DialogCode.Rejected

    form = _open(qtbot, context, user_id)
    assert isinstance(form.name, QLineEdit)
    before = form.name.text()
    form.name.setFocus()
    qtbot.keyClicks(form.name, " Jr")  # typed, as a person does
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)
    assert form.isVisible() and form.name.text() == before + " Jr"
    assert form.message.isVisibleTo(form) and form.message.text() == DISCARD_WARNING
    # More typing after the warning: the next Esc warns again rather than discarding it.
    qtbot.keyClicks(form.name, "!")
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)
    assert form.isVisible()
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)  # the second Esc in a row: discarded
    assert not form.isVisible() and form.result() == QDialog.DialogCode.Rejected
    with context.database.engine.connect() as c:
        assert load_user(c, user_id).name == before  # nothing was saved
