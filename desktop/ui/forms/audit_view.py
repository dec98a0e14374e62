"""The audit trail: who changed what, when, with before and after values (masked)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.runner import Runner

if TYPE_CHECKING:
    from desktop.services import audit
    from desktop.services.database import Database

PERIODS = {"Last hour": 1, "Last day": 24, "Last week": 24 * 7, "Any time": None}
COLUMNS = ("When", "OS user", "DB user", "Profile", "Entity", "ID", "Action", "Before", "After")


class AuditView(QWidget):
    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditView")
        self.setAccessibleName("Audit trail")
        self.runner = runner
        self.database: Database | None = None
        self.entity = QComboBox(self)
        self.entity.setObjectName("auditEntity")
        self.entity.setAccessibleName("Entity")
        for label, value in (
            ("All", None),
            ("Users", "user"),
            ("Organizations", "organization"),
            ("Plugins", "plugin"),
        ):
            self.entity.addItem(label, value)
        self.user = QLineEdit(self)
        self.user.setObjectName("auditUser")
        self.user.setAccessibleName("User")
        self.user.setPlaceholderText("OS or database user")
        self.period = QComboBox(self)
        self.period.setObjectName("auditPeriod")
        self.period.setAccessibleName("Period")
        self.period.addItems(list(PERIODS))
        self.period.setCurrentText("Any time")
        refresh = QPushButton("Refresh", self)
        refresh.setObjectName("auditRefresh")
        refresh.setAccessibleName("Refresh audit")
        refresh.clicked.connect(self.reload)
        self.state = QLabel(self)
        self.state.setObjectName("auditState")
        self.state.setAccessibleName("Audit state")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName("Audit entries")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        filters = QHBoxLayout()
        for widget in (
            QLabel("Entity", self),
            self.entity,
            QLabel("User", self),
            self.user,
            QLabel("When", self),
            self.period,
            refresh,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        layout.addWidget(self.state)
        self.entity.currentIndexChanged.connect(self.reload)
        self.period.currentIndexChanged.connect(self.reload)
        self.user.returnPressed.connect(self.reload)

    def set_database(self, database: Database | None) -> None:
        self.database = database
        self.table.setRowCount(0)
        self.state.setText("" if database else "Not connected.")
        if database is not None and self.isVisible():
            self.reload()

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[arg-type]
        self.reload()

    def reload(self) -> None:
        if self.database is None:
            return
        hours = PERIODS[self.period.currentText()]
        since = datetime.now(UTC) - timedelta(hours=hours) if hours else None
        self.state.setText("Loading…")
        from desktop.services import audit  # deferred: off the start-up path

        self.runner.submit(
            partial(
                audit.entries,
                self.database,
                entity=self.entity.currentData(),
                user=self.user.text().strip() or None,
                since=since,
            ),
            on_success=self._show,
            on_failure=self._failed,
            key=f"audit:{id(self)}",
        )

    def _failed(self, exc: BaseException) -> None:
        message = str(exc)
        if "tenantry_audit" in message:
            message = "this database has no audit trail yet (migrate it to the latest revision)"
        self.state.setText(f"Could not load the audit trail: {message}")

    def _show(self, rows: list[audit.AuditRow]) -> None:
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = (
                row.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                row.os_user,
                row.db_user,
                row.profile,
                row.entity,
                "" if row.entity_id is None else str(row.entity_id),
                row.action,
                _short(row.before),
                _short(row.after),
            )
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.state.setText(f"{len(rows):,} entries (newest first)" if rows else "No entries.")


def _short(value: object) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:157] + "…"
