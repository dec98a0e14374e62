"""The drift report dialog: run the check with progress and Cancel, fix rows or all of them."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import Cancelled, KnownError
from desktop.services.firebase.drift import Category, DriftEntry, DriftReport
from desktop.services.firebase.drift_fix import FixSummary
from desktop.services.firebase.session import FirebaseAccounts
from desktop.ui.runner import Runner

COLUMNS = ("Problem", "User id", "Email", "Firebase uid", "Detail", "Fix")
EntryRole = Qt.ItemDataRole.UserRole + 1


class _Progress(QObject):
    """Carries progress from the worker thread to the GUI thread (queued)."""

    changed = Signal(object)

    def report(self, done: int, total: int | None, what: str) -> None:
        self.changed.emit((done, total, what))


class DriftDialog(QDialog):
    """Firebase accounts joined with database users; fixes per row or in bulk."""

    #: A check finished (DriftReport).
    report_ready = Signal(object)
    #: A fix run finished (FixSummary).
    fix_finished = Signal(object)
    #: The status line changed (text).
    status_changed = Signal(str)

    def __init__(
        self, runner: Runner, accounts: FirebaseAccounts, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firebaseDriftDialog")
        self.setWindowTitle("Firebase drift report")
        self.resize(1240, 560)
        self.runner = runner
        self.accounts = accounts
        self.report: DriftReport | None = None
        self._cancel: threading.Event | None = None
        self._pending_note: str | None = None
        self._progress = _Progress(self)
        self._progress.changed.connect(self._on_progress)

        intro = QLabel(
            f"Compares every account of {accounts.label} with every user of the database. "
            "Fixes change Firebase to match the database (the database is not rewritten, "
            "except firebase_id when an account is linked or created).",
            self,
        )
        intro.setWordWrap(True)
        self.filter = QComboBox(self)
        self.filter.setObjectName("driftFilter")
        self.filter.setAccessibleName("Show problems of kind")
        self.filter.currentIndexChanged.connect(self._fill)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("driftTable")
        self.table.setAccessibleName("Drift between Firebase and the database")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("driftProgress")
        self.progress.setVisible(False)
        self.status = QLabel("Press Run check to compare.", self)
        self.status.setObjectName("driftStatus")
        self.status.setWordWrap(True)

        self.run_button = QPushButton("Run check", self)
        self.cancel_button = QPushButton("Cancel", self)
        self.fix_selected_button = QPushButton("Fix selected", self)
        self.fix_all_button = QPushButton("Fix all shown", self)
        close = QPushButton("Close", self)
        self.run_button.clicked.connect(self.run_check)
        self.cancel_button.clicked.connect(self.cancel)
        self.fix_selected_button.clicked.connect(self.fix_selected)
        self.fix_all_button.clicked.connect(self.fix_all_shown)
        close.clicked.connect(self.reject)
        for button, name in (
            (self.run_button, "driftRun"),
            (self.cancel_button, "driftCancel"),
            (self.fix_selected_button, "driftFixSelected"),
            (self.fix_all_button, "driftFixAll"),
            (close, "driftClose"),
        ):
            button.setObjectName(name)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show:", self))
        top.addWidget(self.filter, 1)
        buttons = QHBoxLayout()
        for button in (
            self.run_button,
            self.cancel_button,
            self.fix_selected_button,
            self.fix_all_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._fill_filter()
        self._update_buttons()

    # -- running -------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    def run_check(self) -> None:
        if self.busy:
            return
        cancel = self._start("Reading database users and Firebase accounts…")
        accounts, progress = self.accounts, self._progress
        self.runner.submit(
            lambda: accounts.drift_report(progress.report, cancel),
            on_success=self._on_report,
            on_failure=self._on_failed,
            pool="net",
        )

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._set_status("Cancelling after the current batch…")

    def done(self, result: int) -> None:
        """Closing the dialog cancels what runs (it stops after the current batch)."""
        if self._cancel is not None:
            self._cancel.set()
        super().done(result)

    def fix_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        self._fix([self._entry(row) for row in rows])

    def fix_all_shown(self) -> None:
        self._fix([self._entry(row) for row in range(self.table.rowCount())])

    def _fix(self, entries: Sequence[DriftEntry]) -> None:
        if self.busy or not entries:
            return
        deletes = sum(1 for e in entries if e.category is Category.ACCOUNTS_WITHOUT_USER)
        database = self.accounts.database if self.accounts is not None else None
        if database is not None and database.requires_write_confirmation:
            from desktop.ui.confirm import confirm_destructive_write, confirm_write

            by_kind: dict[str, int] = {}
            for entry in entries:
                by_kind[entry.category.heading] = by_kind.get(entry.category.heading, 0) + 1
            summary = f"Fix {len(entries):,} drift rows in Firebase and the database: " + (
                "; ".join(f"{n:,} {kind.lower()}" for kind, n in sorted(by_kind.items()))
            )
            if deletes:
                summary += f". {deletes:,} Firebase accounts are deleted."
            ask = confirm_destructive_write if deletes else confirm_write
            if not ask(self, database, summary):
                return
        elif deletes and not self._confirm(
            f"Delete {deletes:,} Firebase account(s) that no user links to? This cannot be undone."
        ):
            return
        cancel = self._start(f"Fixing {len(entries):,} row(s)…", total=len(entries))
        accounts, progress, chosen = self.accounts, self._progress, list(entries)
        self.runner.submit(
            lambda: accounts.fix(chosen, progress.report, cancel),
            on_success=self._on_fixed,
            on_failure=self._on_failed,
            pool="net",
        )

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Delete Firebase accounts", text)
        return answer == QMessageBox.StandardButton.Yes

    def _start(self, text: str, total: int = 0) -> threading.Event:
        self._cancel = threading.Event()
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._set_status(text)
        self._update_buttons()
        return self._cancel

    def _finish(self) -> None:
        self._cancel = None
        self.progress.setVisible(False)
        self._update_buttons()

    def _on_progress(self, message: tuple[int, int | None, str]) -> None:
        done, total, what = message
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self._set_status(f"{what}: {done:,} of {total:,}")
        else:
            self.progress.setRange(0, 0)  # busy indicator: the total is not known yet
            self._set_status(f"{what}: {done:,}")

    def _on_report(self, report: DriftReport) -> None:
        self._finish()
        self.report = report
        self._fill_filter()
        self._fill()
        verdict = f"{report.total:,} disagreement(s)" if report.total else "no drift"
        note, self._pending_note = self._pending_note, None
        self._set_status(
            (f"Fix: {note} " if note else "")
            + f"{report.users_checked:,} users and {report.accounts_checked:,} accounts "
            f"compared in {report.seconds:.1f} s: {verdict}."
        )
        self.report_ready.emit(report)

    def _on_fixed(self, summary: FixSummary) -> None:
        self._finish()
        text = summary.message
        if summary.failed:
            entry, reason = summary.failed[0]
            who = f"user {entry.user_id}" if entry.user_id else f"uid {entry.firebase_uid}"
            text += f" First problem ({who}): {reason}"
        self.fix_finished.emit(summary)
        self._set_status(text + " Running the check again…")
        self._pending_note = text
        self.run_check()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        self._pending_note = None
        if isinstance(exc, Cancelled):
            self._set_status("Check cancelled.")
            return
        if not isinstance(exc, KnownError):
            self.runner.unhandled.emit(exc)
            return
        self._set_status(exc.message)

    # -- table ---------------------------------------------------------------------------------

    def _fill_filter(self) -> None:
        current = self.filter.currentData()
        self.filter.blockSignals(True)
        self.filter.clear()
        total = self.report.total if self.report else 0
        self.filter.addItem(f"All problems ({total:,})", None)
        for category in Category:
            count = len(self.report.entries[category]) if self.report else 0
            self.filter.addItem(f"{category.heading} ({count:,})", category)
        index = self.filter.findData(current)
        self.filter.setCurrentIndex(max(index, 0))
        self.filter.blockSignals(False)

    def _shown(self) -> list[DriftEntry]:
        if self.report is None:
            return []
        category = self.filter.currentData()
        if category is None:
            return list(self.report.all_entries())
        return list(self.report.entries[category])

    def _fill(self) -> None:
        entries = self._shown()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            values = (
                entry.category.heading,
                "" if entry.user_id is None else entry.user_id,
                entry.email or "",
                entry.firebase_uid or "",
                entry.detail,
                entry.fix_action,
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setToolTip(str(value))
                if column == 0:
                    item.setData(EntryRole, entry)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self._update_buttons()

    def _entry(self, row: int) -> DriftEntry:
        item = self.table.item(row, 0)
        assert item is not None
        entry = item.data(EntryRole)
        assert isinstance(entry, DriftEntry)
        return entry

    def _update_buttons(self) -> None:
        busy = self.busy
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.fix_selected_button.setEnabled(not busy and bool(self.table.selectedItems()))
        self.fix_all_button.setEnabled(not busy and self.table.rowCount() > 0)
        self.filter.setEnabled(not busy)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status_changed.emit(text)
