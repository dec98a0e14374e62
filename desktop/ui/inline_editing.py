"""Inline editing in the grids: stage cell edits, count them, save them together or discard.

Staged edits live in one `StagedChanges` store per connection, keyed by table and row id, so
sorting, filtering, searching, reloading or scrolling far away never loses them. Saving
runs `staged_save.save` through the Runner (one transaction); problems and conflicts come
back to the cells they concern.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from desktop.core.errors import KnownError
from desktop.core.staging import Key, StagedChanges, StagedRow
from desktop.core.user_status import UserStatus
from desktop.ui.inline_delegate import InlineDelegate

_TRIGGERS = (
    QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked
)

if TYPE_CHECKING:
    # The save service (and SQLAlchemy) load when first used, off start-up.
    from desktop.services.database import Database
    from desktop.services.staged_save import Saved, StagedSaveFailed
    from desktop.ui.forms.context import EditContext
    from desktop.ui.table_view import BrowseTab


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _shown(row: StagedRow) -> dict[str, Any]:
    """The row as the user means it (seen values with the changes), readable in a dialog."""
    mine = {**row.seen, **row.changes}
    if "status" in mine and mine["status"] is not None:
        mine["status"] = UserStatus(int(mine["status"])).name
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in mine.items()}


class StagingBar(QWidget):
    """ "3 unsaved changes  [Save] [Discard]" in the status bar, shown only when needed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stagingBar")
        self.label = QLabel(self)
        self.label.setObjectName("stagedCount")
        self.label.setAccessibleName("Unsaved changes")
        self.label.setStyleSheet("font-weight: bold; padding: 0 6px;")
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveStagedButton")
        self.save_button.setToolTip("Save every staged change in one transaction (Ctrl+S)")
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setObjectName("discardStagedButton")
        self.discard_button.setToolTip("Forget every staged change")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.save_button)
        layout.addWidget(self.discard_button)
        self.setVisible(False)


class InlineEditing(QObject):
    """Owns the staged changes of the window's grids and the actions that act on them."""

    #: Rows were saved: the views should reload.
    changed = Signal()
    #: A message for the status bar.
    message = Signal(str)
    #: A save finished: True when it wrote everything.
    finished = Signal(bool)

    def __init__(
        self,
        window: QMainWindow,
        runner: Any,
        context: Callable[[], EditContext | None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.context = context
        self.database: Database | None = None
        self.staging = StagedChanges()
        self.staging.subscribe(self._update)
        self.tabs: list[BrowseTab] = []
        self.saving = False
        self._after_save: list[Callable[[bool], None]] = []
        self.bar = StagingBar(window)
        window.statusBar().addPermanentWidget(self.bar)
        window.installEventFilter(self)

        self.save_action = QAction("Save staged changes", window)
        self.save_action.setObjectName("saveStagedAction")
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(lambda: self.save())
        self.discard_action = QAction("Discard staged changes", window)
        self.discard_action.setObjectName("discardStagedAction")
        self.discard_action.setShortcut(QKeySequence("Ctrl+Shift+R"))  # revert
        self.discard_action.triggered.connect(self.discard_all)
        self.bar.save_button.clicked.connect(lambda: self.save())
        self.bar.discard_button.clicked.connect(self.discard_all)
        menu = window.menuBar().findChild(QMenu, "editMenu")
        if menu is None:
            menu = window.menuBar().addMenu("&Edit")
        menu.addSeparator()
        menu.addAction(self.save_action)
        menu.addAction(self.discard_action)
        self._update()

    # -- grids ------------------------------------------------------------------------------

    def attach(self, tab: BrowseTab) -> None:
        """Let `tab`'s grid edit its editable cells (F2, or a click on a selected cell)."""
        self.tabs.append(tab)
        tab.model.set_staging(self.staging)
        tab.set_delegate(InlineDelegate(tab.model, tab.view))
        tab.view.setEditTriggers(_TRIGGERS)
        discard_cell = QAction("Discard this change", tab)
        discard_cell.setObjectName("discardCellAction")
        discard_cell.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        discard_cell.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        discard_cell.triggered.connect(partial(self.discard_current, tab, False))
        tab.view.addAction(discard_cell)
        # Esc belongs to this action only while the current cell holds a staged change;
        # otherwise it reaches the window (View ▸ Cancel running export).
        refresh = partial(self._refresh_discard_cell, tab, discard_cell)
        tab.view.selectionModel().currentChanged.connect(lambda *_: refresh())
        tab.model.modelReset.connect(refresh)
        self.staging.subscribe(refresh)
        refresh()
        discard_row = QAction("Discard this row's changes", tab)
        discard_row.setObjectName("discardRowAction")
        discard_row.triggered.connect(partial(self.discard_current, tab, True))
        tab.view.customContextMenuRequested.connect(
            lambda point, tab=tab: self._context_menu(tab, point, discard_cell, discard_row)
        )

    def _context_menu(
        self, tab: BrowseTab, point: Any, discard_cell: QAction, discard_row: QAction
    ) -> None:
        index = tab.view.indexAt(point)
        if not index.isValid() or tab.model.staged_row(index.row()) is None:
            return
        tab.view.setCurrentIndex(index)
        menu = QMenu(tab)
        menu.setObjectName("stagedMenu")
        menu.addAction(discard_cell)
        menu.addAction(discard_row)
        menu.addAction(self.save_action)
        menu.popup(tab.view.viewport().mapToGlobal(point))

    def _refresh_discard_cell(self, tab: BrowseTab, action: QAction) -> None:
        index: QModelIndex = tab.view.currentIndex()
        row = tab.model.staged_row(index.row()) if index.isValid() else None
        action.setEnabled(row is not None and tab.model.column_key(index.column()) in row.changes)

    def discard_current(self, tab: BrowseTab, whole_row: bool) -> None:
        index: QModelIndex = tab.view.currentIndex()
        staged = tab.model.staged_row(index.row()) if index.isValid() else None
        if staged is None:
            return
        if whole_row:
            self.staging.discard(staged.view, staged.row_id)
        else:
            self.staging.discard_cell(
                staged.view, staged.row_id, tab.model.column_key(index.column())
            )

    def discard_all(self) -> None:
        if self.saving:
            return
        count = len(self.staging)
        self.staging.discard()
        if count:
            self.message.emit(f"Discarded {plural(count, 'unsaved change')}.")

    # -- connection -------------------------------------------------------------------------

    def set_database(self, database: Database | None) -> None:
        """A different database forgets the staged changes (the caller asked first)."""
        if database is not self.database:
            self.staging.discard()
        self.database = database
        self._update()

    def confirm_leave(
        self, then: Callable[[], object], otherwise: Callable[[], object] | None = None
    ) -> bool:
        """Before closing or switching: True to go on now; else the caller waits or stops.

        Save runs the save and calls `then` after it succeeded (`otherwise` if it failed);
        Discard forgets the changes; Cancel stays.
        """
        if not self.staging:
            return True
        count = len(self.staging)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unsaved changes",
            f"You have {plural(count, 'unsaved change')} in the grids. Save them first?",
            parent=self.window,
        )
        box.setObjectName("unsavedChanges")
        save = box.addButton(QMessageBox.StandardButton.Save)
        discard = box.addButton(QMessageBox.StandardButton.Discard)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.exec()
        clicked = box.clickedButton()
        if clicked is discard:
            self.staging.discard()
            return True
        if clicked is save:

            def after(ok: bool) -> None:
                if ok:
                    then()
                elif otherwise is not None:
                    otherwise()

            if not self.save(after=after) and otherwise is not None:
                otherwise()
        elif otherwise is not None:
            otherwise()
        return False

    # -- saving -----------------------------------------------------------------------------

    def save(self, after: Callable[[bool], None] | None = None) -> bool:
        from desktop.services import staged_save
        from desktop.ui.confirm import confirm_write

        """Start saving every staged change; False when it did not start (and why is shown)."""
        context = self.context()
        if self.saving:
            self.message.emit("Already saving…")
            return False
        if not self.staging:
            self.message.emit("There are no unsaved changes.")
            return False
        if context is None or context.read_only:
            self.message.emit("Saving needs a connection with a read-write profile.")
            return False
        problems = self._blocking()
        if problems:
            row, field, text = problems[0]
            self.message.emit(
                f"Fix the cells marked in red first ({plural(len(problems), 'problem')}): "
                f"{row.label()}, {field}: {text}"
            )
            return False
        rows = list(self.staging)
        confirm_system = False
        system = [r for r in rows if r.view == "users" and r.seen.get("is_system")]
        if system:
            names = ", ".join(r.label() for r in system)
            answer = QMessageBox.question(
                self.window,
                "Change system users?",
                f"These are system users: {names}. Change them anyway?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
            confirm_system = True
        count = len(self.staging)
        summary = f"Save {plural(count, 'inline change')} to {plural(len(rows), 'row')}"
        if not confirm_write(self.window, context.database, summary):
            return False
        snapshot = {(r.view, r.row_id): dict(r.changes) for r in rows}
        self.saving = True
        if after is not None:
            self._after_save.append(after)
        self._update()
        self.message.emit(f"Saving {plural(count, 'change')}…")
        self.runner.submit(
            partial(
                staged_save.save,
                context.database,
                context.actor,
                rows,
                confirm_system=confirm_system,
                undo=context.undo,
            ),
            on_success=partial(self._saved, snapshot),
            on_failure=self._failed,
        )
        return True

    def _finish(self, ok: bool) -> None:
        self.saving = False
        self._update()
        callbacks, self._after_save = self._after_save, []
        self.finished.emit(ok)
        for callback in callbacks:
            callback(ok)

    def _saved(self, snapshot: dict[Key, dict[str, Any]], saved: Saved) -> None:
        for (view, row_id), changes in snapshot.items():
            row = self.staging.get(view, row_id)
            if row is not None and row.changes == changes:
                self.staging.discard(view, row_id)  # edits made while saving stay staged
        self.message.emit(
            f"Saved {plural(saved.cells, 'change')} to {plural(saved.rows, 'row')} "
            "in one transaction."
        )
        self.changed.emit()
        self._finish(True)

    def _failed(self, exc: BaseException) -> None:
        from desktop.services.staged_save import StagedSaveFailed

        if isinstance(exc, StagedSaveFailed):
            found: dict[Key, dict[str, str]] = {k: dict(v) for k, v in exc.problems.items()}
            for conflict in exc.conflicts:
                found.setdefault((conflict.view, conflict.row_id), {})["*"] = conflict.message
            self.staging.set_problems(found)
            self.message.emit(exc.message)
            self._finish(False)
            if exc.conflicts:
                self.resolve_conflicts(exc)
            return
        if isinstance(exc, KnownError):
            self.message.emit(f"Nothing was saved: {exc.message}")
            self._finish(False)
            return
        self._finish(False)
        raise exc

    def resolve_conflicts(self, exc: StagedSaveFailed) -> None:
        """Show each conflicting row's two versions; reload (drop mine) or overwrite it."""
        from desktop.ui.forms.conflict_dialog import ConflictDialog, Resolution

        overwrite = False
        for conflict in exc.conflicts:
            row = self.staging.get(conflict.view, conflict.row_id)
            if row is None:
                continue
            dialog = ConflictDialog(
                f"{row.label()}: {conflict.message}", _shown(row), conflict.theirs, self.window
            )
            dialog.exec()
            if dialog.resolution is Resolution.RELOAD:
                self.staging.discard(conflict.view, conflict.row_id)
                self.changed.emit()
            elif dialog.resolution is Resolution.OVERWRITE:
                self.staging.mark_overwrite(conflict.view, conflict.row_id)
                overwrite = True
        if overwrite and not self._blocking():
            self.save()

    # -- state ------------------------------------------------------------------------------

    def _blocking(self) -> list[tuple[StagedRow, str, str]]:
        """Problems that must be fixed before saving (a conflict marker "*" is not one)."""
        return [p for p in self.staging.problems() if p[1] != "*"]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Closing the window with staged changes asks first (save, discard or stay)."""
        if (
            watched is self.window
            and event.type() == QEvent.Type.Close
            and not self.confirm_leave(self.window.close)
        ):
            event.ignore()
            return True
        return super().eventFilter(watched, event)

    def _update(self) -> None:
        count = len(self.staging)
        writable = self.database is not None and not self.database.read_only
        self.bar.setVisible(bool(count))
        problems = len(self.staging.problems())
        text = plural(count, "unsaved change")
        if problems:
            text += f" · {plural(problems, 'problem')}"
        if self.saving:
            text = f"Saving {text}…"
        self.bar.label.setText(text)
        self.bar.label.setStyleSheet(
            "font-weight: bold; padding: 0 6px;" + (" color: #b3261e;" if problems else "")
        )
        enabled = bool(count) and writable and not self.saving
        for widget in (self.save_action, self.bar.save_button):
            widget.setEnabled(enabled)
        for widget in (self.discard_action, self.bar.discard_button):
            widget.setEnabled(bool(count) and not self.saving)
