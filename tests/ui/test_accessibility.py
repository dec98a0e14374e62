"""Every interactive widget of the main window and of each dialog has an object name and a
meaningful accessible name (for screen readers and UI automation); a checker that cannot
see its own gaps would be worthless, so it is tested on a deliberately bad widget first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import text

from conftest import GuiThreadGuard
from desktop.services.database import Database
from desktop.services.migrations import Action
from desktop.services.writes import actor_for
from desktop.ui.accessibility import interactive_widgets, name_from_labels, problems, spoken_name
from desktop.ui.main_window import MainWindow


def test_the_checker_sees_gaps_and_names_only_from_visible_text(qapp: Any) -> None:
    root = QWidget()
    form = QFormLayout(root)
    labelled = QLineEdit(root)
    form.addRow("Email address:", labelled)
    hinted = QLineEdit(root)
    hinted.setPlaceholderText("Search plugin title…")
    form.addRow(hinted)
    arrow = QToolButton(root)
    arrow.setText("▶")
    form.addRow(arrow)
    table = QTableView(root)
    form.addRow(table)
    assert len(problems(root)) == 4
    assert all(w in interactive_widgets(root) for w in (labelled, hinted, arrow, table))
    name_from_labels(root)
    assert spoken_name(labelled) == "Email address"  # from the form's label (its buddy)
    assert labelled.objectName() == "emailAddressLineEdit"
    assert hinted.accessibleName() == "Search plugin title"
    left = problems(root)  # an arrow and a bare table have no words to be named by
    assert len(left) == 2 and any("QToolButton" in p for p in left)
    assert any("QTableView" in p for p in left)
    root.deleteLater()


def test_the_main_window_with_every_tab_built(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)  # builds the lazy Migrations tab
    organization = window.tenants.model.record(0)
    assert organization is not None
    with qtbot.waitSignal(window.tenants.organization_loaded, timeout=10_000):
        window.show_organization(int(organization["id"]))
    window.firebase.dock.show()
    qtbot.waitUntil(lambda: window.runner.in_flight() == 0, timeout=20_000)
    window.notifications.notify("A result")
    window.notifications.error("A failure")
    window.notifications.busy.setVisible(True)
    assert problems(window) == [], "\n".join(problems(window))
    assert len(interactive_widgets(window)) > 60


def test_dialogs_of_the_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.firebase_panel import FirebaseAccountPanel

    dialogs: list[QWidget] = [
        window.connection.open_dialog(),
        window.show_about(),
        window.shortcuts.open_switcher(),
        window.shortcuts.show_overview(),
        FirebaseAccountPanel(window.runner),
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        assert len(interactive_widgets(dialog)) >= 2, type(dialog).__name__
        assert problems(dialog) == [], "\n".join(problems(dialog))
    qtbot.waitUntil(lambda: window.runner.in_flight() == 0, timeout=20_000)


def test_editing_dialogs(qtbot, window: MainWindow, database: Database) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.forms.bulk_dialog import BulkDialog
    from desktop.ui.forms.conflict_dialog import ConflictDialog
    from desktop.ui.forms.context import EditContext
    from desktop.ui.forms.csv_import_dialog import CsvImportDialog
    from desktop.ui.forms.organization_delete import OrganizationDeleteDialog
    from desktop.ui.forms.organization_form import OrganizationForm
    from desktop.ui.forms.plugin_form import PluginForm
    from desktop.ui.forms.user_form import UserForm

    context = EditContext(database, window.runner, actor_for(database))
    first = window.models["users"].record(0)
    plugin = window.models["plugins"].record(0)
    assert first is not None and plugin is not None
    org = (int(first["organization_id"]), "Org")
    dialogs: list[QWidget] = [
        UserForm(context, None, org, window),
        UserForm(context, int(first["id"]), parent=window),
        PluginForm(context, None, org, window),
        PluginForm(context, int(plugin["id"]), parent=window),
        OrganizationForm(context, None, window),
        OrganizationForm(context, org[0], window),
        OrganizationDeleteDialog(context, org[0], window),
        BulkDialog(context, [int(first["id"])], "status", window),
        BulkDialog(context, [int(first["id"])], "move", window),
        BulkDialog(context, [int(first["id"])], "delete", window),
        CsvImportDialog(context, org, window),
        ConflictDialog("Changed meanwhile", {"name": "a"}, {"name": "b"}, window),
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
    qtbot.waitUntil(lambda: window.runner.in_flight() == 0, timeout=20_000)
    assert sum(len(interactive_widgets(d)) for d in dialogs) > 60
    found = {type(d).__name__: problems(d) for d in dialogs}
    assert all(not p for p in found.values()), {k: v for k, v in found.items() if v}


def test_migration_dialogs_and_firebase_drift(
    qtbot, window: MainWindow, database: Database, gui_guard: GuiThreadGuard
) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.firebase.session import FirebaseAccounts
    from desktop.services.firebase.settings import FirebaseSettings
    from desktop.ui.firebase_drift import DriftDialog

    window.tabs.setCurrentWidget(window.migrations_tab)
    panel = window.migrations_panel
    qtbot.waitUntil(lambda: panel.status is not None, timeout=20_000)
    panel.choose(Action.DOWNGRADE)
    assert panel.chooser is not None
    qtbot.addWidget(panel.chooser)
    assert problems(panel.chooser) == []
    panel.chooser.reject()
    with qtbot.waitSignal(panel.plan_ready, timeout=30_000):
        panel.buttons["downgrade_step"].click()
    assert panel.confirm_dialog is not None
    qtbot.addWidget(panel.confirm_dialog)
    assert problems(panel.confirm_dialog) == []
    panel.confirm_dialog.reject()
    with gui_guard.allow(), database.engine.connect() as c:  # the test's own check
        assert c.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    accounts = FirebaseAccounts(
        database.engine, FirebaseSettings("demo-a11y", emulator_host="127.0.0.1:9")
    )
    drift = DriftDialog(window.runner, accounts, window)
    qtbot.addWidget(drift)
    assert problems(drift) == [], "\n".join(problems(drift))


def test_buddy_labels_and_button_text_name_widgets(qapp: Any) -> None:
    box = QWidget()
    layout = QVBoxLayout(box)
    button = QPushButton("&Close", box)
    button.setObjectName("closeButton")
    layout.addWidget(button)
    label = QLabel("&Name", box)
    edit = QLineEdit(box)
    label.setBuddy(edit)
    layout.addWidget(label)
    layout.addWidget(edit)
    name_from_labels(box)
    assert spoken_name(button) == "Close" and spoken_name(edit) == "Name"
    assert edit.objectName() == "nameLineEdit"
    assert problems(box) == []
    box.deleteLater()
