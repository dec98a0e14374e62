"""The Edit menu: create, edit, delete, bulk changes, import and undo, on the current table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from desktop.core.user_status import UserStatus
from desktop.ui.runner import Runner
from desktop.ui.table_view import BrowseTab

# The forms and the write services (and with them SQLAlchemy) are imported when first
# used, not at start-up; the app warms them up in the background once the window shows.
if TYPE_CHECKING:
    from desktop.services.database import Database
    from desktop.ui.forms.context import EditContext


class EditActions(QObject):
    """Owns the editing actions; the window tells it the database and the current table."""

    #: Data changed through Tenantry: the views should reload.
    changed = Signal()
    #: A message for the status bar.
    message = Signal(str)
    #: An organization was deleted (its id): panes showing it must let go of it.
    organization_deleted = Signal(int)

    def __init__(
        self,
        window: QMainWindow,
        runner: Runner,
        current_tab: Callable[[], BrowseTab | None],
        current_organization: Callable[[], tuple[int, str] | None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.current_tab = current_tab
        self.current_organization = current_organization
        self.context: EditContext | None = None
        menu = window.menuBar().addMenu("&Edit")
        menu.setObjectName("editMenu")
        menu.aboutToShow.connect(self.update_undo_text)

        def action(text: str, slot: Callable[[], None], shortcut: Any = None) -> QAction:
            item = QAction(text, window)
            item.setObjectName(text.rstrip("…").title().replace(" ", "") + "Action")
            if shortcut is not None:
                item.setShortcut(QKeySequence(shortcut))
            item.triggered.connect(slot)
            menu.addAction(item)
            return item

        self.undo_action = action("Undo last change", self.undo, QKeySequence.StandardKey.Undo)
        menu.addSeparator()
        self.new_action = action("New…", self.new, QKeySequence.StandardKey.New)
        self.edit_action = action("Edit selected…", self.edit, "Ctrl+E")
        self.delete_action = action(
            "Delete selected…", self.delete, QKeySequence.StandardKey.Delete
        )
        menu.addSeparator()
        self.deactivate_action = action(
            "Deactivate users", partial(self.set_status, UserStatus.INACTIVE)
        )
        self.activate_action = action("Activate users", partial(self.set_status, UserStatus.ACTIVE))
        self.soft_delete_action = action(
            "Soft-delete users (status Deleted)", partial(self.set_status, UserStatus.DELETED)
        )
        self.move_action = action("Move users to another organization…", self.move)
        menu.addSeparator()
        self.import_action = action("Import users from CSV…", self.import_csv)
        self.write_actions = [
            self.undo_action,
            self.new_action,
            self.edit_action,
            self.delete_action,
            self.deactivate_action,
            self.activate_action,
            self.soft_delete_action,
            self.move_action,
            self.import_action,
        ]
        self.set_database(None)

    def bind_delete_to_tables(self, views: Iterable[QWidget]) -> None:
        """Del deletes selected rows only while a table has the focus: in a filter's combo
        box or date field it must not reach Edit > Delete selected. (The menu still shows
        and runs it.)"""
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        for view in views:
            view.addAction(self.delete_action)

    # -- state ------------------------------------------------------------------------------

    def set_database(self, database: Database | None) -> None:
        if database is None:
            self.context = None
        else:
            from desktop.services.writes import actor_for
            from desktop.ui.forms.context import EditContext

            self.context = EditContext(database, self.runner, actor_for(database))
        writable = database is not None and not database.read_only
        for item in self.write_actions:
            item.setEnabled(writable)
            item.setToolTip(
                "" if writable else "Not available: no database, or a read-only profile."
            )
        self.update_undo_text()

    def _entity(self) -> str | None:
        tab = self.current_tab()
        return tab.model.spec.name if tab is not None else None

    def _selected_ids(self) -> list[int]:
        tab = self.current_tab()
        if tab is None:
            return []
        ids = []
        for row in tab.selected_rows():
            record = tab.model.record(row)
            if record is not None:
                ids.append(int(record["id"]))
        return ids

    def _ready(self) -> EditContext | None:
        if self.context is None or self.context.read_only:
            self.message.emit("Editing needs a connection with a read-write profile.")
            return None
        return self.context

    def _open(self, dialog: QWidget) -> None:
        for signal in ("saved", "deleted", "imported", "finished_ok"):
            if hasattr(dialog, signal):
                getattr(dialog, signal).connect(lambda *_: self.changed.emit())
        if hasattr(dialog, "done_message"):
            dialog.done_message.connect(self.message.emit)
        dialog.show()

    # -- actions ----------------------------------------------------------------------------

    def new(self) -> None:
        from desktop.ui.forms.organization_form import OrganizationForm
        from desktop.ui.forms.plugin_form import PluginForm
        from desktop.ui.forms.user_form import UserForm

        context = self._ready()
        if context is None:
            return
        entity = self._entity()
        org = self.current_organization()
        if entity == "plugins":
            self._open(PluginForm(context, None, org, self.window))
        elif entity == "organizations" and org is None:
            self._open(OrganizationForm(context, None, self.window))
        else:
            self._open(UserForm(context, None, org, self.window))

    def edit(self) -> None:
        from desktop.ui.forms.organization_form import OrganizationForm
        from desktop.ui.forms.plugin_form import PluginForm
        from desktop.ui.forms.user_form import UserForm

        context = self._ready()
        if context is None:  # _ready said why (no database, or a read-only profile)
            return
        ids = self._selected_ids()
        if not ids:
            self.message.emit("Select a loaded row to edit.")
            return
        entity = self._entity()
        if entity == "users":
            self._open(UserForm(context, ids[0], parent=self.window))
        elif entity == "plugins":
            self._open(PluginForm(context, ids[0], parent=self.window))
        elif entity == "organizations":
            self._open(OrganizationForm(context, ids[0], self.window))

    def delete(self) -> None:
        from desktop.ui.forms.bulk_dialog import BulkDialog
        from desktop.ui.forms.organization_delete import OrganizationDeleteDialog

        context = self._ready()
        if context is None:
            return
        ids = self._selected_ids()
        if not ids:
            self.message.emit("Select loaded rows to delete.")
            return
        entity = self._entity()
        if entity == "organizations":
            dialog = OrganizationDeleteDialog(context, ids[0], self.window)
            dialog.deleted.connect(self.organization_deleted.emit)
            self._open(dialog)
        elif entity == "users":
            self._open(BulkDialog(context, ids, "delete", self.window))
        elif entity == "plugins":
            self._delete_plugin(context, ids[0])

    def _delete_plugin(self, context: EditContext, plugin_id: int) -> None:
        """Load the plugin, ask with its title, then delete exactly the version asked about
        (a colleague's change in between is a conflict, not deleted unseen)."""
        from desktop.services import plugins

        self.runner.submit(
            partial(plugins.load_masked, context.database, plugin_id),
            on_success=lambda record: self._confirm_plugin_delete(context, record),
            on_failure=self._failed,
        )

    def _confirm_plugin_delete(self, context: EditContext, record: Any) -> None:
        from desktop.services import plugins
        from desktop.ui.confirm import confirm_destructive_write

        what = f"plugin “{record.title}” (#{record.id}, {record.data_source})"
        if not context.production:
            answer = QMessageBox.question(
                self.window,
                "Delete plugin?",
                f"Delete {what} and its configuration? This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        elif not confirm_destructive_write(
            self.window, context.database, f"Delete {what} and its configuration."
        ):
            return
        self.runner.submit(
            partial(
                plugins.delete,
                context.database,
                context.actor,
                record.id,
                record.version,
                undo=context.undo,
            ),
            on_success=lambda _: self._done(f"Deleted {what}."),
            on_failure=self._failed,
        )

    def set_status(self, status: UserStatus) -> None:
        from desktop.ui.forms.bulk_dialog import BulkDialog

        context = self._ready()
        if context is None:
            return
        ids = self._selected_ids()
        if not ids or self._entity() != "users":
            self.message.emit("Select loaded users first.")
            return
        dialog = BulkDialog(context, ids, "status", self.window)
        dialog.status.setCurrentIndex(dialog.status.findData(status))
        self._open(dialog)

    def move(self) -> None:
        from desktop.ui.forms.bulk_dialog import BulkDialog

        context = self._ready()
        if context is None:
            return
        ids = self._selected_ids()
        if not ids or self._entity() != "users":
            self.message.emit("Select loaded users first.")
            return
        self._open(BulkDialog(context, ids, "move", self.window))

    def import_csv(self) -> None:
        from desktop.ui.forms.csv_import_dialog import CsvImportDialog

        context = self._ready()
        org = self.current_organization()
        if context is None:
            return
        if org is None:
            self.message.emit("Open an organization first (Organizations tab), then import.")
            return
        self._open(CsvImportDialog(context, org, self.window))

    def update_undo_text(self) -> None:
        """The Undo command names what it undoes ("Undo: status of 50 users")."""
        description = self.context.undo.next_description if self.context else None
        self.undo_action.setText(
            "Undo: " + description.removeprefix("Undo").lstrip(": ")
            if description
            else "Undo last change"
        )

    def undo(self) -> None:
        from desktop.ui.confirm import confirm_write

        context = self._ready()
        if context is None:
            return
        description = context.undo.next_description
        if description is None:
            irreversible = context.undo.last_irreversible
            self.message.emit(
                f"Nothing to undo: the last change ({irreversible}) cannot be undone."
                if irreversible
                else "There is nothing to undo."
            )
            return
        if not confirm_write(self.window, context.database, description):
            return
        self.runner.submit(
            partial(context.undo.undo, context.database, context.actor),
            on_success=lambda text: self._done(f"{text}: done."),
            on_failure=self._failed,
        )

    def _done(self, text: str) -> None:
        self.message.emit(text)
        self.changed.emit()
        self.update_undo_text()

    def _failed(self, exc: BaseException) -> None:
        from desktop.services.writes import ConflictError

        if isinstance(exc, ConflictError):
            self.message.emit(f"{exc.message} Nothing was changed; reload and try again.")
        else:
            self.message.emit(str(exc))
