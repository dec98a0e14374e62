"""The form of one connection profile: fields in, a validated Profile out, errors on the field."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop.core.profiles import (
    ENVIRONMENTS,
    MAX_CONNECT_TIMEOUT_S,
    SSLMODES,
    Profile,
    coerce,
)
from desktop.ui.environment import style_for

ERROR_STYLE = "border: 1px solid #b3261e;"


def environment_icon(environment: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(style_for(environment).background))
    return QIcon(pixmap)


class ProfileForm(QWidget):
    """Every setting of a profile. `profile()` raises ProfileError with the field to fix."""

    #: Any field changed by the user.
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileForm")
        self.name = self._line("name", "Name", "e.g. Billing production (read-only)")
        self.environment = QComboBox(self)
        self.environment.setObjectName("environment")
        self.environment.setAccessibleName("Environment")
        for env in ENVIRONMENTS:
            self.environment.addItem(environment_icon(env), style_for(env).label, env)
        self.host = self._line("host", "Host", "db.example.com")
        self.port = QSpinBox(self)
        self.port.setObjectName("port")
        self.port.setAccessibleName("Port")
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database = self._line("database", "Database", "tenantry")
        self.user = self._line("user", "User", "dba")
        self.password = self._line("password", "Password", "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Save in the system keyring", self)
        self.remember.setObjectName("rememberPassword")
        self.remember.setChecked(True)
        self.password_hint = QLabel(self)
        self.password_hint.setObjectName("passwordHint")
        self.password_hint.setWordWrap(True)
        self.password_hint.setStyleSheet("color: palette(mid);")
        self.password_hint.setMinimumHeight(2 * self.password_hint.fontMetrics().lineSpacing() + 4)
        self.read_only = QCheckBox("Read-only: PostgreSQL refuses every write", self)
        self.read_only.setObjectName("readOnly")
        self.sslmode = QComboBox(self)
        self.sslmode.setObjectName("sslmode")
        self.sslmode.setAccessibleName("SSL mode")
        self.sslmode.addItems(list(SSLMODES))
        self.sslmode.setCurrentText("prefer")
        self.sslrootcert = self._line("sslrootcert", "Root certificate", "path to root.crt")
        self.sslcert = self._line("sslcert", "Client certificate", "path to client .crt")
        self.sslkey = self._line("sslkey", "Client key", "path to client .key")
        self.connect_timeout = QSpinBox(self)
        self.connect_timeout.setObjectName("connect_timeout")
        self.connect_timeout.setRange(1, MAX_CONNECT_TIMEOUT_S)
        self.connect_timeout.setValue(10)
        self.connect_timeout.setSuffix(" s")
        self.statement_timeout = QSpinBox(self)
        self.statement_timeout.setObjectName("statement_timeout")
        self.statement_timeout.setRange(0, 86_400_000)
        self.statement_timeout.setSingleStep(1000)
        self.statement_timeout.setSuffix(" ms")
        self.statement_timeout.setSpecialValueText("no limit")
        self.application_name = self._line("application_name", "Application name", "Tenantry")
        self.application_name.setText("Tenantry")
        self.firebase_project = self._line(
            "firebase_project", "Firebase project", "project id, e.g. acme-prod (optional)"
        )
        self.firebase_emulator = self._line(
            "firebase_emulator", "Firebase emulator", "HOST:PORT, for testing (optional)"
        )
        self.firebase_key = self._line(
            "firebase_key", "Firebase key file", "service-account JSON to import (optional)"
        )
        self.firebase_key.setToolTip(
            "Imported into the system keyring when you save; the file itself is not kept."
        )
        self.firebase_key_browse = QPushButton("Browse…", self)
        self.firebase_key_browse.setObjectName("firebaseKeyBrowse")
        self.firebase_key_browse.setAccessibleName("Choose the Firebase key file")
        self.firebase_key_browse.clicked.connect(self._choose_key)

        password_row = QHBoxLayout()
        password_row.setContentsMargins(0, 0, 0, 0)
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.remember)
        host_row = QHBoxLayout()
        host_row.setContentsMargins(0, 0, 0, 0)
        host_row.addWidget(self.host, 1)
        host_row.addWidget(QLabel("Port", self))
        host_row.addWidget(self.port)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Environment", self.environment)
        form.addRow("Host", host_row)
        form.addRow("Database", self.database)
        form.addRow("User", self.user)
        form.addRow("Password", password_row)
        form.addRow("", self.password_hint)
        form.addRow("", self.read_only)
        form.addRow("SSL mode", self.sslmode)
        form.addRow("Root certificate", self.sslrootcert)
        form.addRow("Client certificate", self.sslcert)
        form.addRow("Client key", self.sslkey)
        form.addRow("Connect timeout", self.connect_timeout)
        form.addRow("Statement timeout", self.statement_timeout)
        form.addRow("Application name", self.application_name)
        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        key_row.addWidget(self.firebase_key, 1)
        key_row.addWidget(self.firebase_key_browse)
        form.addRow("Firebase project", self.firebase_project)
        form.addRow("Firebase emulator", self.firebase_emulator)
        form.addRow("Firebase key", key_row)

        self.fields: dict[str, QWidget] = {
            "name": self.name,
            "environment": self.environment,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
            "read_only": self.read_only,
            "sslmode": self.sslmode,
            "sslrootcert": self.sslrootcert,
            "sslcert": self.sslcert,
            "sslkey": self.sslkey,
            "connect_timeout": self.connect_timeout,
            "statement_timeout": self.statement_timeout,
            "application_name": self.application_name,
            "firebase_project": self.firebase_project,
            "firebase_emulator": self.firebase_emulator,
            "firebase_key": self.firebase_key,
        }
        for widget in (self.name, self.host, self.database, self.user, self.password):
            widget.textEdited.connect(self._on_edit)
        for line in (
            self.sslrootcert,
            self.sslcert,
            self.sslkey,
            self.application_name,
            self.firebase_project,
            self.firebase_emulator,
            self.firebase_key,
        ):
            line.textEdited.connect(self._on_edit)
        for spin in (self.port, self.connect_timeout, self.statement_timeout):
            spin.valueChanged.connect(self._on_edit)
        for combo in (self.environment, self.sslmode):
            combo.currentIndexChanged.connect(self._on_edit)
        self.read_only.toggled.connect(self._on_edit)

    def _line(self, name: str, label: str, placeholder: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setObjectName(name)
        line.setAccessibleName(label)
        line.setPlaceholderText(placeholder)
        return line

    def _on_edit(self, *_: object) -> None:
        self.clear_error()
        self.edited.emit()

    # -- values ---------------------------------------------------------------------------

    def set_profile(self, profile: Profile) -> None:
        widgets = list(self.fields.values())
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.name.setText(profile.name)
            self.environment.setCurrentIndex(ENVIRONMENTS.index(profile.environment))
            self.host.setText(profile.host)
            self.port.setValue(profile.port)
            self.database.setText(profile.database)
            self.user.setText(profile.user)
            self.password.clear()
            self.read_only.setChecked(profile.read_only)
            self.sslmode.setCurrentText(profile.sslmode)
            self.sslrootcert.setText(profile.sslrootcert)
            self.sslcert.setText(profile.sslcert)
            self.sslkey.setText(profile.sslkey)
            self.connect_timeout.setValue(profile.connect_timeout)
            self.statement_timeout.setValue(profile.statement_timeout)
            self.application_name.setText(profile.application_name)
            self.firebase_project.setText(profile.firebase_project)
            self.firebase_emulator.setText(profile.firebase_emulator)
            self.firebase_key.clear()
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.clear_error()

    def profile(self) -> Profile:
        """The form as a validated Profile (raises ProfileError naming the field)."""
        return coerce(
            name=self.name.text().strip(),
            host=self.host.text().strip(),
            port=self.port.value(),
            database=self.database.text().strip(),
            user=self.user.text().strip(),
            sslmode=self.sslmode.currentText(),
            sslrootcert=self.sslrootcert.text().strip(),
            sslcert=self.sslcert.text().strip(),
            sslkey=self.sslkey.text().strip(),
            connect_timeout=self.connect_timeout.value(),
            statement_timeout=self.statement_timeout.value(),
            application_name=self.application_name.text().strip(),
            environment=self.environment.currentData(),
            read_only=self.read_only.isChecked(),
            firebase_project=self.firebase_project.text().strip(),
            firebase_emulator=self.firebase_emulator.text().strip(),
        )

    def firebase_key_file(self) -> str | None:
        return self.firebase_key.text().strip() or None

    def _choose_key(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Firebase service-account key", "", "JSON (*.json);;All files (*)"
        )
        if name:
            self.firebase_key.setText(name)
            self._on_edit()

    def typed_password(self) -> str | None:
        return self.password.text() or None

    # -- errors ---------------------------------------------------------------------------

    def show_error(self, field: str | None) -> None:
        """Outline the field a KnownError names and move the focus there."""
        self.clear_error()
        widget = self.fields.get(field or "")
        if widget is not None:
            widget.setStyleSheet(ERROR_STYLE)
            widget.setFocus()

    def clear_error(self) -> None:
        for widget in self.fields.values():
            if widget.styleSheet():
                widget.setStyleSheet("")
