"""A client-side deadline for every database round trip: a frozen server is given up on.

libpq waits for an answer forever. Keepalives and `tcp_user_timeout` end the wait when
the network drops packets, but not when the server process is frozen (SIGSTOP, a paused
VM, a wedged host): the kernel keeps acknowledging the TCP traffic, and on loopback
nothing ever times out. `connection.cancel()` does not help either: the postmaster,
frozen too, never answers the cancel request.

So every psycopg2 connection made by our engines is a `GuardedConnection`: each execute,
fetch of a server-side cursor, commit and rollback is registered with one watchdog
thread. When a call has waited a moment, the watchdog asks the server whether it is
alive, the cheapest way PostgreSQL answers without a password or a session: an
SSLRequest, to which the postmaster replies one byte at once. A server that answers is
just busy (a long query; the statement timeout is the server's business) and is asked
again later; a server that does not answer within the connect timeout is given up on:
the watchdog shuts the call's socket down, the waiting thread gets `ServerNotAnswering`
(translated to a message in desktop.db.errors), and the connection is thrown away.

What was sent before the freeze stays in the server's receive buffer; when it resumes it
reads it, then the end of the connection, and rolls back the open transaction: nothing
half-written is kept. A COMMIT that was sent may still be carried out when the server
resumes, so a deadline during a commit says that the outcome is unknown.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions

log = logging.getLogger(__name__)

#: A call is probed once it has waited this long (most round trips take milliseconds).
PROBE_AFTER_S = 0.5
#: How long a server found frozen is remembered: new connections to it meanwhile first
#: ask whether it is back (a short probe) instead of waiting the whole connect timeout.
FROZEN_MEMORY_S = 60.0
#: The short probe of a server found frozen a moment ago.
QUICK_PROBE_S = 0.5
DEFAULT_TIMEOUT_S = 10.0
#: PostgreSQL's SSLRequest: length 8, code 80877103. The server answers b"S" or b"N".
_SSL_REQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"


class ServerNotAnswering(psycopg2.OperationalError):  # type: ignore[misc]
    """The server did not answer within the deadline; the connection was abandoned.

    `phase` is what was waiting: "query", "fetch", "commit", "rollback" or "connect";
    `waited_s` how long, `address` the server as "host:port" or the socket file.
    """

    phase: str = "query"
    waited_s: float = 0.0
    address: str = ""


def not_answering(phase: str, waited_s: float, address: str) -> ServerNotAnswering:
    exc = ServerNotAnswering(
        f"the server at {address} stopped answering: no reply for {waited_s:.1f} s "
        f"during {phase}; the connection was abandoned"
    )
    exc.phase, exc.waited_s, exc.address = phase, waited_s, address
    return exc


# -- where a server is, and whether it answers ---------------------------------------------


@dataclass(frozen=True)
class Address:
    """A server endpoint: a TCP host and port, or a Unix socket file."""

    host: str
    port: int

    @property
    def is_socket(self) -> bool:
        return self.host.startswith(("/", "@")) or not self.host

    @property
    def socket_path(self) -> str:
        directory = self.host or "/tmp"
        if directory.startswith("@"):  # Linux abstract namespace
            return "\0" + directory[1:] + f"/.s.PGSQL.{self.port}"
        return f"{directory.rstrip('/')}/.s.PGSQL.{self.port}"

    def __str__(self) -> str:
        if self.is_socket:
            return f"socket {self.socket_path.lstrip(chr(0))}"
        return f"{self.host}:{self.port}"


def answers(address: Address, timeout_s: float) -> bool:
    """Whether the server at `address` answers an SSLRequest within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    try:
        if address.is_socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout_s)
            sock.connect(address.socket_path)
        else:
            sock = socket.create_connection((address.host, address.port), timeout=timeout_s)
    except OSError:
        return False  # refused, unreachable or silent: either way not answering
    with sock:
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.sendall(_SSL_REQUEST)
            return sock.recv(1) != b""
        except OSError:
            return False


# -- the watchdog ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Call:
    connection: GuardedConnection
    phase: str
    started: float


@dataclass
class _Server:
    probing: bool = False
    last_answer: float = 0.0
    frozen_at: float | None = None


@dataclass
class Watchdog:
    """One thread watching every call in flight on every guarded connection."""

    probe_after_s: float = PROBE_AFTER_S
    tick_s: float = 0.1
    _calls: set[_Call] = field(default_factory=set)
    _servers: dict[Address, _Server] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None

    def enter(self, connection: GuardedConnection, phase: str) -> _Call:
        call = _Call(connection, phase, time.monotonic())
        with self._lock:
            self._calls.add(call)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="tenantry-db-watchdog", daemon=True
                )
                self._thread.start()
            self._lock.notify()
        return call

    def leave(self, call: _Call, *, answered: bool) -> None:
        with self._lock:
            self._calls.discard(call)
            server = self._servers.get(call.connection.address)
            if server is not None and answered:
                server.frozen_at = None
                server.last_answer = time.monotonic()

    def recently_frozen(self, address: Address) -> bool:
        with self._lock:
            server = self._servers.get(address)
            at = server.frozen_at if server is not None else None
        return at is not None and time.monotonic() - at < FROZEN_MEMORY_S

    def forget(self, address: Address) -> None:
        with self._lock:
            server = self._servers.get(address)
            if server is not None:
                server.frozen_at = None

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._calls:
                    self._lock.wait()
                now = time.monotonic()
                due: dict[Address, float] = {}
                for call in self._calls:
                    address = call.connection.address
                    server = self._servers.setdefault(address, _Server())
                    waited = now - call.started
                    timeout = call.connection.answer_timeout_s
                    # The server answered since this call began, and lately: it is busy
                    # with the call, not frozen; ask again once a timeout has passed.
                    recent = (
                        call.started < server.last_answer and now - server.last_answer < timeout
                    )
                    if waited >= self.probe_after_s and not server.probing and not recent:
                        due[address] = max(due.get(address, 0.0), timeout)
                for address in due:
                    self._servers[address].probing = True
            for address, timeout in due.items():
                threading.Thread(
                    target=self._probe,
                    args=(address, timeout),
                    name="tenantry-db-probe",
                    daemon=True,
                ).start()
            time.sleep(self.tick_s)

    def _probe(self, address: Address, timeout_s: float) -> None:
        started = time.monotonic()
        alive = answers(address, timeout_s)
        with self._lock:
            server = self._servers[address]
            server.probing = False
            if alive:
                server.last_answer = started
                return
            server.frozen_at = time.monotonic()
            # Under the lock: a call still registered is still waiting, so its connection
            # is open and its socket number is its own (not yet reused by another socket).
            for call in self._calls:
                if call.connection.address == address and call.started <= started:
                    call.connection.abandon(call.phase, time.monotonic() - call.started)


WATCHDOG = Watchdog()


@contextlib.contextmanager
def _guarded(connection: GuardedConnection, phase: str) -> Iterator[None]:
    if connection.abandoned is not None:
        raise not_answering(*connection.abandoned, str(connection.address))
    call = WATCHDOG.enter(connection, phase)
    answered = False
    try:
        yield
        answered = True
    except psycopg2.Error as exc:
        if connection.abandoned is None:
            answered = True  # the server's own error is an answer
            raise
        with contextlib.suppress(psycopg2.Error):
            connection.close()
        raise not_answering(*connection.abandoned, str(connection.address)) from exc
    finally:
        WATCHDOG.leave(call, answered=answered)


# -- psycopg2 classes ------------------------------------------------------------------------


def _address_of(dsn: str) -> Address | None:
    try:
        params = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return None
    host = params.get("hostaddr") or params.get("host") or ""
    port = params.get("port") or "5432"
    if "," in host or "," in port or not port.isdigit():
        return None  # several hosts: libpq picks one; we learn which after connecting
    return Address(host, int(port))


class GuardedConnection(psycopg2.extensions.connection):  # type: ignore[misc]
    """A psycopg2 connection whose round trips have a deadline (see the module docstring)."""

    def __init__(self, dsn: str, *args: Any, **kwargs: Any) -> None:
        params = psycopg2.extensions.parse_dsn(dsn)
        self.answer_timeout_s = float(params.get("connect_timeout") or DEFAULT_TIMEOUT_S)
        self.abandoned: tuple[str, float] | None = None
        self._abandon_lock = threading.Lock()
        planned = _address_of(dsn)
        if planned is not None and WATCHDOG.recently_frozen(planned):
            if not answers(planned, min(QUICK_PROBE_S, self.answer_timeout_s)):
                raise not_answering("connect", QUICK_PROBE_S, str(planned))
            WATCHDOG.forget(planned)
        super().__init__(dsn, *args, **kwargs)
        self.cursor_factory = GuardedCursor
        self.address = Address(self.info.host or "", int(self.info.port or 5432))

    def abandon(self, phase: str, waited_s: float) -> None:
        """Give up on this connection from another thread: its waiting call fails now."""
        with self._abandon_lock:
            if self.abandoned is not None or self.closed:
                return
            self.abandoned = (phase, waited_s)
            log.warning(
                "Server %s did not answer for %.1f s (%s): abandoning the connection",
                self.address,
                waited_s,
                phase,
            )
            try:
                sock = socket.socket(fileno=os.dup(self.fileno()))
            except (OSError, psycopg2.Error):
                return
            with sock, contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def commit(self) -> None:
        with _guarded(self, "commit"):
            super().commit()

    def rollback(self) -> None:
        if self.abandoned is not None:
            return  # the server rolls back what it gets of an abandoned connection
        with _guarded(self, "rollback"):
            super().rollback()

    def cancel(self) -> None:
        """Ask the server to cancel the running query, unless it is frozen: the cancel
        request would then wait forever; abandoning the connection ends the query's wait."""
        if self.abandoned is not None or self.closed:
            return
        if not answers(self.address, self.answer_timeout_s):
            self.abandon("query", 0.0)
            return
        super().cancel()


class GuardedCursor(psycopg2.extensions.cursor):  # type: ignore[misc]
    """A cursor whose executes (and, for server-side cursors, fetches) are watched."""

    connection: GuardedConnection

    def execute(self, query: Any, vars: Any = None) -> None:
        with _guarded(self.connection, "query"):
            super().execute(query, vars)

    def executemany(self, query: Any, vars_list: Any) -> None:
        with _guarded(self.connection, "query"):
            super().executemany(query, vars_list)

    def callproc(self, procname: Any, parameters: Any = None) -> Any:
        with _guarded(self.connection, "query"):
            return super().callproc(procname, parameters)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        with _guarded(self.connection, "query"):
            super().copy_expert(sql, file, size)

    def copy_from(self, *args: Any, **kwargs: Any) -> None:
        with _guarded(self.connection, "query"):
            super().copy_from(*args, **kwargs)

    def copy_to(self, *args: Any, **kwargs: Any) -> None:
        with _guarded(self.connection, "query"):
            super().copy_to(*args, **kwargs)

    def fetchone(self) -> Any:
        if self.name is None:
            return super().fetchone()
        with _guarded(self.connection, "fetch"):
            return super().fetchone()

    def fetchmany(self, size: int | None = None) -> Any:
        if self.name is None:
            return super().fetchmany() if size is None else super().fetchmany(size)
        with _guarded(self.connection, "fetch"):
            return super().fetchmany() if size is None else super().fetchmany(size)

    def fetchall(self) -> Any:
        if self.name is None:
            return super().fetchall()
        with _guarded(self.connection, "fetch"):
            return super().fetchall()


def connection_factory() -> Callable[..., GuardedConnection]:
    """The `connection_factory` psycopg2.connect takes, for make_engine's connect_args."""
    return GuardedConnection
