"""Every write action of the Edit menu asks once on production, and cancel writes nothing.

The actions are triggered in the real main window on a production profile; the question is
answered "Cancel" (QMessageBox) or left untyped (the typed-name dialog). A new write action
added to the Edit menu without a case here fails `test_every_write_action_is_listed`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from sqlalchemy import text

from desktop.services import bulk
from desktop.services.database import Database, open_database
from desktop.services.writes import Actor
from desktop.ui.confirm import DestructiveConfirmation
from desktop.ui.main_window import MainWindow
from desktop.ui.runner import Runner


def _picture(widget: QWidget, name: str) -> None:
    """TENANTRY_SCREENSHOTS=DIR keeps a picture of each question (for the README)."""
    folder = os.environ.get("TENANTRY_SCREENSHOTS")
    if folder:
        widget.show()
        QApplication.processEvents()
        widget.grab().save(
            str(
                Path(folder)
                / f"{name}-{os.environ['PYTEST_CURRENT_TEST']}.png".replace("/", "_")
                .replace(" ", "_")
                .replace(":", "_")
            )
        )
        widget.hide()


class Questions:
    """Production questions asked, answered with Cancel (or with yes when `accept`)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.accept = False


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> Questions:
    asked = Questions()

    def message_box_exec(box: QMessageBox) -> int:
        asked.asked.append(box.text())
        _picture(box, f"confirm-{len(asked.asked)}")
        if asked.accept:
            accept = next(
                b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole
            )
            accept.click()
        return 0

    def typed_exec(dialog: DestructiveConfirmation) -> int:
        asked.asked.append(dialog.findChild(QWidget, "confirmDestructivePrompt").text())  # type: ignore[union-attr]
        _picture(dialog, f"confirm-typed-{len(asked.asked)}")
        return int(QDialog.DialogCode.Accepted if asked.accept else QDialog.DialogCode.Rejected)

    monkeypatch.setattr(QMessageBox, "exec", message_box_exec)
    monkeypatch.setattr(DestructiveConfirmation, "exec", typed_exec)
    return asked


@pytest.fixture
def production(seeded_url: str) -> Iterator[Database]:
    db = open_database(seeded_url, label="Prod", environment="production")
    yield db
    db.dispose()


@pytest.fixture
def prod_window(qtbot, runner: Runner, production: Database) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.resize(1300, 800)
    window.show()
    with qtbot.waitSignal(window.first_pages_loaded, timeout=20_000):
        window.set_database(production)
    return window


def _fingerprint(db: Database) -> tuple[Any, ...]:
    """Every row's version of the three tables and the audit trail's size."""
    with db.engine.connect() as c:
        return tuple(
            c.execute(
                text(f"SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM {t}")
            ).scalar_one()
            for t in ('"user"', "organization", "plugin")
        ) + (c.execute(text("SELECT count(*) FROM tenantry_audit")).scalar_one(),)


def _select_rows(qtbot, window: MainWindow, view: str, count: int) -> None:  # type: ignore[no-untyped-def]
    tab = window.browse_tabs[view]
    window.tabs.setCurrentWidget(tab)
    tab.view.setFocus()
    qtbot.waitUntil(lambda: tab.model.record(count - 1) is not None, timeout=10_000)
    selection = tab.view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.clearSelection()
    for row in range(count):
        selection.select(tab.model.index(row, 0), flags)


def _dialog(qtbot, name: str) -> Any:  # type: ignore[no-untyped-def]
    found: list[QWidget] = []

    def opened() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if w.objectName() == name]
        return bool(found) and found[0].isVisible()

    qtbot.waitUntil(opened, timeout=10_000)
    qtbot.addWidget(found[0])
    return found[0]


def _bulk(action: str, choose: Callable[[Any], None] | None = None) -> Callable[..., None]:
    def run(qtbot, window: MainWindow, questions: Questions) -> None:  # type: ignore[no-untyped-def]
        _select_rows(qtbot, window, "users", 30)
        getattr(window.editing, action).trigger()
        dialog = _dialog(qtbot, "bulkDialog")
        qtbot.waitUntil(lambda: dialog.selection is not None, timeout=10_000)
        if choose is not None:
            choose(dialog)
        dialog.include_deleted.setChecked(True)
        dialog.confirm_system.setChecked(True)
        dialog.apply()
        assert dialog.isVisible()  # cancelled: the dialog stays, nothing started

    return run


def _choose_organization(dialog: Any) -> None:
    dialog.organization.set_organization(2, "Second organization")


def _delete_plugin(qtbot, window: MainWindow, questions: Questions) -> None:  # type: ignore[no-untyped-def]
    _select_rows(qtbot, window, "plugins", 1)
    window.editing.delete_action.trigger()
    qtbot.waitUntil(lambda: len(questions.asked) == 1, timeout=10_000)


def _undo(qtbot, window: MainWindow, questions: Questions) -> None:  # type: ignore[no-untyped-def]
    context = window.editing.context
    assert context is not None
    seen = bulk.snapshot(context.database, list(range(1, 11))).versions
    questions.accept = True  # a change made on purpose, outside the counted question
    bulk.set_status(
        context.database,
        Actor("p", "dba"),
        seen,
        bulk.UserStatus.INACTIVE,
        undo=context.undo,
        include_deleted=True,
    )
    questions.accept = False
    fingerprint = _fingerprint(context.database)
    window.editing.update_undo_text()
    assert window.editing.undo_action.text().startswith("Undo: status of")
    window.editing.undo_action.trigger()
    assert _fingerprint(context.database) == fingerprint
    assert "Undo: status of" in questions.asked[0]


def _import_csv(qtbot, window: MainWindow, questions: Questions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.forms.csv_import_dialog import CsvImportDialog

    context = window.editing.context
    assert context is not None
    path = tmp_path / "users.csv"
    path.write_text("name,email\nAda New,ada.new@example.com\nBob New,bob.new@example.com\n")
    dialog = CsvImportDialog(context, (1, "First organization"), window)
    qtbot.addWidget(dialog)
    dialog.load(path)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10_000)
    dialog.apply()
    assert "Import 2 users into First organization" in questions.asked[0]


#: Edit-menu action (object name) -> how to drive it to the production question.
ACTIONS: dict[str, Callable[..., None]] = {
    "DeactivateUsersAction": _bulk("deactivate_action"),
    "ActivateUsersAction": _bulk("activate_action"),
    "Soft-DeleteUsers(StatusDeleted)Action": _bulk("soft_delete_action"),
    "MoveUsersToAnotherOrganizationAction": _bulk("move_action", _choose_organization),
    "DeleteSelectedAction": _bulk("delete_action"),
    "DeleteSelectedAction:plugin": _delete_plugin,
    "UndoLastChangeAction": _undo,
    "ImportUsersFromCsvAction": _import_csv,
}
#: Write actions whose production question is tested elsewhere (the forms' saves).
ELSEWHERE = {
    "New…": "tests/ui/test_user_form.py and test_edit_dialogs.py (form saves ask)",
    "Edit selected…": "tests/ui/test_user_form.py and test_edit_dialogs.py (form saves ask)",
}


def test_every_write_action_is_listed(prod_window: MainWindow) -> None:
    for action in prod_window.editing.write_actions:
        name = action.objectName()
        assert name in ACTIONS or action.text() in ELSEWHERE, (
            f"the write action {action.text()!r} ({name}) has no production-confirmation test"
        )


@pytest.mark.parametrize("case", sorted(ACTIONS))
def test_production_asks_once_and_cancel_writes_nothing(
    qtbot,  # type: ignore[no-untyped-def]
    case: str,
    prod_window: MainWindow,
    production: Database,
    questions: Questions,
    runner: Runner,
    tmp_path: Path,
) -> None:
    before = _fingerprint(production)
    drive = ACTIONS[case]
    if case == "ImportUsersFromCsvAction":
        drive(qtbot, prod_window, questions, tmp_path)
    else:
        drive(qtbot, prod_window, questions)
    runner.wait()
    assert len(questions.asked) == 1, questions.asked
    assert "PRODUCTION" in questions.asked[0]
    assert any(ch.isdigit() for ch in questions.asked[0])  # counts or ids, in words
    if case != "UndoLastChangeAction":  # the undo case made its own change first
        assert _fingerprint(production) == before
