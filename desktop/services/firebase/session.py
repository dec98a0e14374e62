"""One database with one Firebase project, as the UI uses them (connects on first use)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy.engine import Engine

from desktop.services.connect import ensure_writable
from desktop.services.database import Database
from desktop.services.firebase import actions, drift_fix
from desktop.services.firebase.accounts import UserAccount, load_user_account
from desktop.services.firebase.actions import ActionResult
from desktop.services.firebase.client import FirebaseClient, connect
from desktop.services.firebase.drift import DriftEntry, DriftReport, Progress, build_report
from desktop.services.firebase.drift_fix import FixSummary
from desktop.services.firebase.settings import FirebaseSettings


class FirebaseAccounts:
    """Every Firebase use case for one database; all methods block (call them in a worker)."""

    def __init__(
        self,
        engine: Engine,
        settings: FirebaseSettings,
        audit: actions.AuditHook | None = None,
        database: Database | None = None,
    ) -> None:
        """`database`, when given, is the open database `engine` belongs to: its
        read-only rule (`Database.read_only`) refuses every change before Firebase."""
        self.engine = engine
        self.settings = settings
        self.audit = audit
        self.database = database
        self._client: FirebaseClient | None = None
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return self.settings.label

    def client(self) -> FirebaseClient:
        with self._lock:
            if self._client is None:
                self._client = connect(self.settings)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _writable(self) -> None:
        if self.database is not None:
            ensure_writable(self.database)

    def load(self, user_id: int) -> UserAccount:
        return load_user_account(self.engine, self.client(), user_id)

    def create_account(self, user_id: int) -> ActionResult:
        self._writable()
        with actions.auditing(self.audit):
            return actions.create_account(self.engine, self.client(), user_id)

    def link_account(self, user_id: int) -> ActionResult:
        self._writable()
        with actions.auditing(self.audit):
            return actions.link_account(self.engine, self.client(), user_id)

    def set_enabled(self, user_id: int, enabled: bool) -> ActionResult:
        self._writable()
        with actions.auditing(self.audit):
            return actions.set_enabled(self.engine, self.client(), user_id, enabled=enabled)

    def sign_out_everywhere(self, user_id: int) -> ActionResult:
        self._writable()
        with actions.auditing(self.audit):
            return actions.sign_out_everywhere(self.engine, self.client(), user_id)

    def password_reset_link(self, user_id: int) -> ActionResult:
        with actions.auditing(self.audit):
            return actions.password_reset_link(self.engine, self.client(), user_id)

    def hard_delete_user(self, user_id: int, delete_account: bool) -> ActionResult:
        self._writable()
        with actions.auditing(self.audit):
            return actions.hard_delete_user(
                self.engine, self.client(), user_id, delete_account=delete_account
            )

    def drift_report(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> DriftReport:
        return build_report(self.engine, self.client(), progress, cancel)

    def fix(
        self,
        entries: Sequence[DriftEntry],
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> FixSummary:
        """Refused on a read-only database before any Firebase call; audited."""
        self._writable()
        return drift_fix.fix(
            self.engine, self.client(), entries, progress, cancel, audit=self.audit
        )


def accounts_for(database: Database) -> FirebaseAccounts | None:
    """Worker thread (keyring, imports): the profile's Firebase project, or None."""
    profile = database.profile
    if profile is None or not profile.firebase_project:
        return None
    from desktop.services import audit
    from desktop.services.firebase import profile_settings
    from desktop.services.writes import actor_for

    settings = profile_settings.settings_for(profile)
    return FirebaseAccounts(
        database.engine,
        settings,
        audit=audit.firebase_hook(actor_for(database)),
        database=database,
    )
