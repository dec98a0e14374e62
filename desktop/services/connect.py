"""Connecting with a profile: engine settings, passwords, tests, and the read-only check.

A password comes from what the user just typed, the session-only store, the OS keyring,
or nowhere (then libpq itself may find one in ~/.pgpass or PGPASSWORD). It is saved to
the keyring only after a successful connection, or when the user explicitly asks.
All functions block: the UI calls them through its Runner.
"""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine

from desktop.core.errors import KnownError
from desktop.core.profiles import Profile, ProfileError, ProfileStore, pgpass_has_entry
from desktop.core.redaction import remember
from desktop.core.secrets import SecretStore, SecretStoreError, SessionPasswords
from desktop.db import errors
from desktop.db.engine import make_engine
from desktop.services.browse import warm_statement_cache
from desktop.services.database import Database, ServerInfo, server_info

log = logging.getLogger(__name__)

LATENCY_SAMPLES = 3


# -- building engines -----------------------------------------------------------------------


def url_for(profile: Profile) -> URL:
    """The SQLAlchemy URL of a profile, as structured values. Never carries the password
    (that goes in connect args).

    It must stay an object: rendered to a string and parsed again, a database name such as
    `tenantry?host=/some/dir` became a host (and sslmode, port, options ... the same way),
    and a Unix-socket host (`/var/run/postgresql`) was read as part of the path.
    """
    return URL.create(
        "postgresql+psycopg2",
        username=profile.user,
        host=profile.host,
        port=profile.port,
        database=profile.database,
    )


def target_for(profile: Profile) -> errors.Target:
    return errors.Target(
        host=profile.host,
        port=profile.port,
        database=profile.database,
        user=profile.user,
        sslmode=profile.sslmode,
        connect_timeout=profile.connect_timeout,
        statement_timeout_ms=profile.statement_timeout,
    )


def connect_args(profile: Profile, password: str | None) -> dict[str, Any]:
    """libpq settings beyond what make_engine sets (TLS files, the password if any)."""
    args: dict[str, Any] = {"sslmode": profile.sslmode}
    for key, label in (
        ("sslrootcert", "Root certificate"),
        ("sslcert", "Client certificate"),
        ("sslkey", "Client key"),
    ):
        value = getattr(profile, key)
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise ProfileError(f"{label} file {path} does not exist.", field=key)
            args[key] = str(path)
    if password:
        remember(password)  # kept out of crash reports and logs
        args["password"] = password
    return args


def engine_for(
    profile: Profile, password: str | None, health: errors.ConnectionHealth | None = None
) -> Engine:
    """An engine with the profile's settings; errors translated; read-only verified."""
    idle_s = profile.idle_transaction_timeout_s
    engine = make_engine(
        url_for(profile),
        application_name=profile.application_name or "Tenantry",
        connect_timeout_s=profile.connect_timeout,
        statement_timeout_ms=profile.statement_timeout or None,
        read_only=profile.read_only,
        idle_in_transaction_timeout_ms=idle_s * 1000 if idle_s else None,
        connect_args=connect_args(profile, password),
    )
    errors.install(engine, target_for(profile), health)
    if profile.read_only:
        event.listen(engine, "connect", _verify_read_only)
    return engine


def _verify_read_only(dbapi_connection: Any, record: Any) -> None:
    """Every new session of a read-only profile must really be read-only (a pooler such as
    PgBouncer in transaction mode may drop the startup options)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SHOW default_transaction_read_only")
        (value,) = cursor.fetchone()
    finally:
        cursor.close()
    dbapi_connection.rollback()
    if value != "on":
        raise errors.ReadOnlyNotEnforced(
            "This profile is read-only, but the server did not make the session read-only "
            "(a connection pooler may drop session options); Tenantry will not use it."
        )


# -- passwords ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """The password to use and where it came from (`typed`, `session`, `keyring`, `none`)."""

    password: str | None
    source: str
    keyring_problem: SecretStoreError | None = None

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, password={'***' if self.password else None})"


def resolve_password(
    profile: Profile,
    secrets: SecretStore,
    session: SessionPasswords,
    typed: str | None = None,
) -> Credentials:
    if typed:
        return Credentials(typed, "typed")
    kept = session.get(profile.name)
    if kept:
        return Credentials(kept, "session")
    try:
        saved = secrets.get(profile.name)
    except SecretStoreError as exc:
        log.info("Keyring unavailable for profile %r: %s", profile.name, exc.message)
        return Credentials(None, "none", exc)
    return Credentials(saved, "keyring") if saved else Credentials(None, "none")


def _explain(exc: KnownError, profile: Profile, creds: Credentials) -> KnownError:
    """Add what the user can do about a password problem, given where the password came from."""
    if isinstance(exc, errors.PasswordRequired) and creds.keyring_problem is not None:
        return errors.PasswordRequired(
            f"{exc.message} {creds.keyring_problem.message}", field="password"
        )
    if isinstance(exc, errors.WrongPassword) and creds.source in ("keyring", "session"):
        where = "saved in the system keyring" if creds.source == "keyring" else "typed earlier"
        return errors.WrongPassword(
            f"{exc.message} The password {where} was used; type the current one.",
            field="password",
        )
    return exc


# -- connecting and testing -----------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionReport:
    """What `test_connection` found, for the dialog and `tenantry profile test`."""

    server_version: str
    user: str
    database: str
    read_only: bool
    tls: bool
    tls_version: str | None
    connect_ms: float
    latency_ms: float
    password_source: str

    def lines(self) -> list[str]:
        tls = f"yes ({self.tls_version})" if self.tls and self.tls_version else "no"
        if self.tls and not self.tls_version:
            tls = "yes"
        return [
            f"server version: PostgreSQL {self.server_version}",
            f"user: {self.user}",
            f"read-only: {'yes' if self.read_only else 'no'}",
            f"database: {self.database}",
            f"TLS: {tls}",
            f"latency: {self.latency_ms:.1f} ms (connect {self.connect_ms:.0f} ms)",
            f"password: {_SOURCE_WORDS[self.password_source]}",
        ]


_SOURCE_WORDS = {
    "typed": "typed now",
    "session": "typed for this session",
    "keyring": "from the system keyring",
    "none": "none given (trust, ~/.pgpass or PGPASSWORD)",
    "pgpass": "from ~/.pgpass (read by libpq)",
}


def test_connection(
    profile: Profile, password: str | None, source: str = "typed"
) -> ConnectionReport:
    """Connect once, describe the session, measure latency, disconnect."""
    engine = engine_for(profile, password)
    try:
        started = time.perf_counter()
        with engine.connect() as connection:
            connect_ms = (time.perf_counter() - started) * 1000
            row = connection.execute(
                text(
                    "SELECT current_setting('server_version'), current_user, current_database(),"
                    " current_setting('transaction_read_only') = 'on',"
                    " (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()),"
                    " (SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid())"
                )
            ).one()
            samples = []
            for _ in range(LATENCY_SAMPLES):
                t0 = time.perf_counter()
                connection.execute(text("SELECT 1")).scalar()
                samples.append((time.perf_counter() - t0) * 1000)
    finally:
        engine.dispose()
    if profile.read_only and not row[3]:
        raise errors.ReadOnlyNotEnforced(
            "This profile is read-only, but the session is not read-only."
        )
    if source == "none" and pgpass_has_entry(profile):
        source = "pgpass"
    return ConnectionReport(
        server_version=str(row[0]),
        user=str(row[1]),
        database=str(row[2]),
        read_only=bool(row[3]),
        tls=bool(row[4]),
        tls_version=str(row[5]) if row[5] else None,
        connect_ms=connect_ms,
        latency_ms=statistics.median(samples),
        password_source=source,
    )


def open_profile(profile: Profile, password: str | None) -> Database:
    """Connect with `profile` (blocking) and return the open database."""
    health = errors.ConnectionHealth()
    engine = engine_for(profile, password, health)
    try:
        info: ServerInfo = server_info(engine)
    except BaseException:
        engine.dispose()
        raise
    if profile.read_only and not info.read_only:
        engine.dispose()
        raise errors.ReadOnlyNotEnforced(
            "This profile is read-only, but the session is not read-only."
        )
    warm_statement_cache(engine)
    return Database(
        engine=engine,
        label=profile.name,
        environment=profile.environment,
        info=info,
        profile=profile,
        health=health,
    )


# -- the use cases the dialog and the CLI share ------------------------------------------------


@dataclass
class Opened:
    """A successful open, and anything the user should be told about the password."""

    database: Database
    notice: str | None = None


class Connector:
    """Profiles, the keyring and session-only passwords together."""

    def __init__(
        self,
        store: ProfileStore | None = None,
        secrets: SecretStore | None = None,
        session: SessionPasswords | None = None,
    ) -> None:
        self.store = store or ProfileStore()
        self.secrets = secrets or SecretStore()
        self.session = session or SessionPasswords()

    def test(self, profile: Profile, typed: str | None = None) -> ConnectionReport:
        creds = resolve_password(profile, self.secrets, self.session, typed)
        try:
            return test_connection(profile, creds.password, creds.source)
        except KnownError as exc:
            raise _explain(exc, profile, creds) from exc

    def open(self, profile: Profile, typed: str | None = None, *, remember: bool = False) -> Opened:
        """Connect; then keep a typed password (keyring if `remember`, else this session)."""
        creds = resolve_password(profile, self.secrets, self.session, typed)
        try:
            database = open_profile(profile, creds.password)
        except KnownError as exc:
            raise _explain(exc, profile, creds) from exc
        notice = None
        if typed:
            notice = self.keep_password(profile.name, typed, remember=remember)
        return Opened(database, notice)

    def keep_password(self, name: str, password: str, *, remember: bool) -> str | None:
        """After a success: save to the keyring (or, failing that, for this session)."""
        if not remember:
            self.session.set(name, password)
            return None
        try:
            self.secrets.set(name, password)
        except SecretStoreError as exc:
            self.session.set(name, password)
            return f"The password is kept for this session only. {exc.message}"
        self.session.forget(name)
        return None

    def save_password(self, name: str, password: str) -> None:
        """Explicit request: store in the keyring now (raises when it cannot)."""
        self.store.get(name)
        self.secrets.set(name, password)

    def use_for_session(self, name: str, password: str) -> None:
        self.session.set(name, password)

    def remove(self, name: str) -> str | None:
        """Delete the profile and its keyring entry; a message if the entry could not go."""
        self.store.remove(name)
        self.session.forget(name)
        try:
            self.secrets.delete(name)
        except SecretStoreError as exc:
            return f"The keyring entry of {name!r} could not be removed: {exc.message}"
        return None

    def rename_secrets(self, old: str, new: str) -> str | None:
        """Move a saved password along with a renamed profile."""
        self.session.rename(old, new)
        try:
            self.secrets.rename(old, new)
        except SecretStoreError as exc:
            return f"The saved password could not be moved to the new name: {exc.message}"
        return None


# -- writes: refuse early, confirm on production -----------------------------------------------


def ensure_writable(database: Database) -> None:
    """Refuse a write before it is sent when the profile or session is read-only."""
    if database.read_only:
        raise errors.ReadOnlyViolation(
            f"{database.label} is a read-only profile: changes are not allowed."
        )


def confirmation_prompt(database: Database, summary: str) -> str | None:
    """The question to ask before a write, or None when no confirmation is needed."""
    if not database.requires_write_confirmation:
        return None
    return (
        f"You are about to change the PRODUCTION database {database.label} "
        f"({database.info.user}@{database.info.database}):\n\n{summary}\n\nApply this change?"
    )


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
