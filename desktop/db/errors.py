"""PostgreSQL / libpq failures in a DBA's words: each one a KnownError the UI can show.

`translate()` maps a psycopg2 (or SQLAlchemy-wrapped) error to one of the classes below;
`install()` hooks it into an engine, so every query made through that engine raises the
translated error, and a `ConnectionHealth` learns when the server went away.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

from desktop.core.errors import ConnectionFailed, KnownError
from desktop.db.watchdog import ServerNotAnswering

log = logging.getLogger(__name__)


class WrongPassword(ConnectionFailed):
    """The server rejected the password (or the user does not exist: it does not say)."""


class PasswordRequired(ConnectionFailed):
    """The server wants a password and we had none to give."""


class UnknownHost(ConnectionFailed):
    """The host name does not resolve."""


class ConnectionRefused(ConnectionFailed):
    """Nothing listens on that host and port (server stopped, wrong port, firewall reject)."""


class ConnectTimedOut(ConnectionFailed):
    """The server did not answer within the connect timeout."""


class DatabaseMissing(ConnectionFailed):
    """The server has no database with that name."""


class TlsRequired(ConnectionFailed):
    """The server only accepts this user over TLS, and the profile did not use it."""


class TlsUnavailable(ConnectionFailed):
    """The profile requires TLS and the server does not offer it (or it failed)."""


class NotAllowed(ConnectionFailed):
    """pg_hba.conf has no entry, the role may not log in, or too many connections."""


class ConnectionLost(ConnectionFailed):
    """An established connection broke (server restart, terminated backend, network)."""


class ServerStoppedAnswering(ConnectionFailed):
    """The server gave no answer within the deadline (frozen, paused, wedged); the app gave
    up on the connection and stays usable. `summary` is the first clause, for callers that
    say themselves what became of the work (the migration run)."""

    def __init__(self, message: str, *, summary: str) -> None:
        super().__init__(message)
        self.summary = summary


class ReadOnlyViolation(KnownError):
    """A write reached a read-only session and PostgreSQL refused it."""


class ReadOnlyNotEnforced(ConnectionFailed):
    """A read-only profile got a session that is not read-only (e.g. a pooler dropped it)."""


class PermissionDenied(KnownError):
    """The role lacks a privilege (SQLSTATE 42501): a SELECT-only support role writing, a
    role without SELECT on a table reading it, a non-owner altering a table."""


class QueryTimedOut(KnownError):
    """The statement ran longer than the profile's statement timeout."""


class IdleTransactionRolledBack(ConnectionFailed):
    """The server rolled back an open transaction left idle too long (production)."""


@dataclass(frozen=True)
class Target:
    """Where we were connecting, for the messages."""

    host: str
    port: int
    database: str
    user: str
    sslmode: str = "prefer"
    connect_timeout: int = 10
    statement_timeout_ms: int = 0

    @property
    def is_socket(self) -> bool:
        """A Unix-domain socket directory (or an abstract socket name), not a TCP host."""
        return self.host.startswith(("/", "@"))

    @property
    def where(self) -> str:
        """`host:port`, or the socket file libpq opens for a socket directory."""
        if self.is_socket:
            return f"socket {self.host.rstrip('/') or '/'}/.s.PGSQL.{self.port}"
        return f"{self.host}:{self.port}"


LOST_MESSAGE = (
    "The connection to the server was lost (the server restarted, or the session was "
    "terminated). Nothing you typed is lost; the next action reconnects."
)


def _message_of(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip()


def _pgcode(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "pgcode", None)
    return str(code) if code else None


_DENIED_OBJECT = re.compile(
    r"permission denied for (materialized view|foreign table|table|relation|view|sequence|"
    r"schema|function|procedure|database|column|large object|type|language)\s+(.+)$"
)
_MUST_OWN = re.compile(r"must be owner of (\w[\w ]*?)\s+(\S+)$")
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.I)
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE")


def _statement_action(statement: str | None) -> tuple[str, str | None]:
    """("read" | "change", the privilege it needs when the statement says) for a statement."""
    words = re.sub(r"/\*.*?\*/|--[^\n]*", " ", statement or "", flags=re.S).split()
    verb = words[0].upper() if words else ""
    upper = {w.upper().strip("(),;") for w in words}
    if verb in _WRITE_VERBS:
        return "change", verb
    if verb == "COPY":
        return ("change", "INSERT") if "FROM" in upper and "TO" not in upper else ("read", "SELECT")
    if verb in ("SELECT", "WITH", "TABLE", "VALUES", "SHOW", "FETCH", "DECLARE", ""):
        writes = [v for v in _WRITE_VERBS if v in upper] if verb == "WITH" else []
        if writes:  # several writes: which one was refused is not known here
            return "change", writes[0] if len(writes) == 1 else None
        if _LOCKING.search(statement or ""):
            return "change", "UPDATE"  # locking rows for a change needs UPDATE
        return "read", "SELECT"
    return "change", None  # DDL (migrations) and the rest


def _permission_denied(first_line: str, target: Target, statement: str | None) -> PermissionDenied:
    detail = first_line.removeprefix("ERROR:").strip()
    action, privilege = _statement_action(statement)
    role = target.user or "(this role)"
    owner = _MUST_OWN.search(detail)
    if owner:
        kind, name = owner.group(1), owner.group(2)
        return PermissionDenied(
            f"The database role {role!r} may not change {kind} {name}: only its owner may "
            f"(PostgreSQL: {detail}). Nothing was changed; use the owner's role, or ask a DBA."
        )
    found = _DENIED_OBJECT.search(detail)
    kind, name = (found.group(1), found.group(2).strip()) if found else ("table", "")
    kind = "table" if kind == "relation" else kind
    what = f'{kind} "{name.strip(chr(34))}"' if name else "this object"
    needs = f" (it needs the {privilege} privilege there)" if privilege and kind != "schema" else ""
    if action == "read":
        return PermissionDenied(
            f"The database role {role!r} may not read {what}{needs}. Ask a DBA for a GRANT, "
            "or use a profile whose role may."
        )
    return PermissionDenied(
        f"The database role {role!r} may not change {what}{needs}. Nothing was changed. "
        "A role with SELECT-only grants can browse but not edit: use a profile whose role "
        "may write, or ask a DBA for a GRANT."
    )


def translate(
    exc: BaseException, target: Target, statement: str | None = None
) -> KnownError | None:
    """The KnownError for `exc`, or None when it is not an environment problem we know.

    `statement` is the SQL that failed, when known (it tells a read from a change)."""
    if isinstance(exc, KnownError):
        return exc
    stalled = getattr(exc, "orig", None) or exc
    if isinstance(stalled, ServerNotAnswering):
        return _stopped_answering(stalled, target)
    text = _message_of(exc)
    low = text.lower()
    code = _pgcode(exc)
    where = target.where
    first_line = text.splitlines()[0] if text else type(exc).__name__

    if code == "28P01" or "password authentication failed" in low:
        return WrongPassword(
            f"Wrong password for user {target.user!r} on {where} (or no such user).",
            field="password",
        )
    if "no password supplied" in low or "password is required" in low:
        return PasswordRequired(
            f"The server at {where} asks for a password for {target.user!r}, and none was "
            "given (none saved in the keyring, typed for this session, or found in ~/.pgpass).",
            field="password",
        )
    if "could not translate host name" in low or "name or service not known" in low:
        return UnknownHost(
            f"Unknown host {target.host!r}: the name does not resolve (check the spelling, "
            "the VPN or DNS).",
            field="host",
        )
    if "timeout expired" in low:
        return ConnectTimedOut(
            f"Timed out after {target.connect_timeout} s connecting to {where}: the server "
            "did not answer (firewall dropping packets, wrong address, or an overloaded server).",
            field="host",
        )
    if "on socket" in low and "no such file or directory" in low:
        return ConnectionRefused(
            f"No PostgreSQL server is listening on {where} (is it running? is the socket "
            "directory and the port right?).",
            field="host",
        )
    if "on socket" in low and "permission denied" in low and code is None:
        return NotAllowed(
            f"This account may not open {where} (permission denied on the socket file or "
            "its directory).",
            field="host",
        )
    if "connection refused" in low:
        return ConnectionRefused(
            f"Connection refused by {where}: no PostgreSQL server is listening there "
            "(is it running? is the port right?).",
            field="port",
        )
    if code == "3D000" or ("database" in low and "does not exist" in low):
        return DatabaseMissing(
            f"Database {target.database!r} does not exist on {where}.", field="database"
        )
    if "server does not support ssl" in low:
        return TlsUnavailable(
            f"The profile requires TLS (SSL mode {target.sslmode}), but the server at {where} "
            "does not offer it.",
            field="sslmode",
        )
    if "no encryption" in low and "pg_hba.conf" in low:
        return TlsRequired(
            f"The server at {where} requires TLS for {target.user!r}, but this connection did "
            f"not use it (SSL mode {target.sslmode}): set SSL mode to require or stricter.",
            field="sslmode",
        )
    if "certificate verify failed" in low or "root certificate file" in low:
        return TlsUnavailable(
            f"The server's TLS certificate could not be verified: {first_line}", field="sslrootcert"
        )
    if "pg_hba.conf" in low:
        return NotAllowed(
            f"The server at {where} does not allow {target.user!r} to connect to "
            f"{target.database!r} from this machine (pg_hba.conf).",
        )
    if code == "28000" and "role" in low and "does not exist" in low:
        return WrongPassword(f"Role {target.user!r} does not exist on {where}.", field="user")
    if code == "53300" or "too many clients" in low or "too many connections" in low:
        return NotAllowed(f"The server at {where} has no free connection slots: {first_line}")
    if code == "42501":
        return _permission_denied(first_line, target, statement)
    if code == "25006" or "read-only transaction" in low:
        return ReadOnlyViolation(
            "This profile is read-only: PostgreSQL refused the change "
            f"({first_line.removeprefix('ERROR:').strip()}). Nothing was changed."
        )
    if code == "25P03" or "idle-in-transaction timeout" in low:
        return IdleTransactionRolledBack(
            "The transaction stayed open and idle too long, so the server rolled it back and "
            "closed the session. Nothing was saved; the next action reconnects."
        )
    if code == "57014" and "statement timeout" in low:
        limit = target.statement_timeout_ms
        return QueryTimedOut(
            f"The query ran longer than the statement timeout ({limit:,} ms) and was cancelled."
        )
    if code in ("57P01", "57P02", "57P03") or _looks_lost(low):
        return ConnectionLost(LOST_MESSAGE)
    return None


def _stopped_answering(exc: ServerNotAnswering, target: Target) -> ServerStoppedAnswering:
    where = exc.address or target.where
    waited = max(exc.waited_s, 0.1)
    if exc.phase == "connect":
        summary = f"the server at {where} stopped answering a moment ago and still does not"
        return ServerStoppedAnswering(
            f"The server at {where} stopped answering a moment ago and still does not "
            "answer (it may be paused or overloaded). Nothing was sent; try again later.",
            summary=summary,
        )
    summary = (
        f"the server at {where} stopped answering (no reply for {waited:.0f} s; Tenantry "
        "gave up on the connection)"
    )
    if exc.phase == "commit":
        return ServerStoppedAnswering(
            f"The server at {where} stopped answering while committing: Tenantry gave up "
            f"after {waited:.0f} s. PostgreSQL keeps a transaction whole or not at all, so "
            "the change was saved in full or not at all: reload to see which.",
            summary=summary,
        )
    return ServerStoppedAnswering(
        f"The server at {where} stopped answering: Tenantry gave up after {waited:.0f} s "
        "(it may be paused or overloaded). Nothing was saved: the server rolls back the "
        "unfinished transaction. The next action reconnects.",
        summary=summary,
    )


def _looks_lost(low: str) -> bool:
    return any(
        phrase in low
        for phrase in (
            "server closed the connection unexpectedly",
            "terminating connection",
            "connection already closed",
            "ssl connection has been closed unexpectedly",
            "could not receive data from server",
            "could not send data to server",
            "no connection to the server",
            "the database system is shutting down",
            "the database system is starting up",
        )
    )


@dataclass
class ConnectionHealth:
    """Whether the last use of an engine found the server gone (for a banner)."""

    lost: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def mark_lost(self, message: str) -> None:
        with self._lock:
            self.lost = message

    def mark_ok(self) -> None:
        with self._lock:
            self.lost = None


def install(engine: Engine, target: Target, health: ConnectionHealth | None = None) -> None:
    """Translate this engine's errors, and keep `health` up to date."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        if context.is_pre_ping:
            return None  # the pool handles a stale connection by reconnecting
        error = translate(context.original_exception, target, context.statement)
        if context.is_disconnect and not isinstance(error, ConnectionFailed):
            error = ConnectionLost(LOST_MESSAGE)
        if health is not None and isinstance(error, ConnectionFailed):
            # For an open database any connection failure means "we lost it" (a refused
            # reconnect after a restart too); the banner shows the specific reason.
            health.mark_lost(error.message)
        if error is not None:
            log.info("Database error: %s", error.message)
        return error

    if health is not None:

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, record: Any) -> None:
            health.mark_ok()
