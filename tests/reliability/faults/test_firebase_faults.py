"""The Firebase Auth emulator slow (behind a delaying proxy), then stopped, then back."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from firebase.helpers import PROJECT_ID, AuthEmulator, add_users, ensure_installed
from firebase_admin import auth
from sqlalchemy import text
from sqlalchemy.engine import Engine

from desktop.db import accounts as db_accounts
from desktop.db.engine import make_engine
from desktop.services import audit
from desktop.services.database import Database, open_database
from desktop.services.firebase.client import connect
from desktop.services.firebase.drift import Category
from desktop.services.firebase.session import FirebaseAccounts
from desktop.services.firebase.settings import emulator_settings
from desktop.services.writes import Actor
from desktop.ui.firebase_panel import FirebaseAccountPanel
from desktop.ui.runner import Runner

from .conftest import (
    MAX_GUI_GAP_S,
    Heartbeat,
    PrivateServer,
    in_background,
    shot,
    wait_thread,
)

HTTP_TIMEOUT_S = 1.0


class DelayingProxy:
    """A loopback TCP proxy in front of the emulator; `delay_s` holds back every answer."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay_s = 0.0
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(32)
        self.host = f"127.0.0.1:{self._server.getsockname()[1]}"
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), 2)
            except OSError:
                client.close()  # the emulator is down: so is the proxied service
                continue
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if answers and self.delay_s:
                    time.sleep(self.delay_s)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        for sock in self._sockets:
            sock.close()


def _kill(emulator: AuthEmulator) -> None:
    process = emulator._process  # noqa: SLF001 - the test's own emulator process
    assert process is not None
    process.kill()
    process.wait(10)


@pytest.fixture
def emulator() -> Iterator[AuthEmulator]:
    """An emulator of this test's own (it gets stopped and started again)."""
    ensure_installed()
    started = AuthEmulator()
    try:
        started.start()
        yield started
    finally:
        started.stop()


@pytest.fixture
def engine(schema_url: str) -> Iterator[Engine]:
    engine = make_engine(schema_url)
    yield engine
    engine.dispose()


def test_firebase_slow_then_stopped_then_back(  # type: ignore[no-untyped-def]
    qtbot, runner: Runner, engine: Engine, emulator: AuthEmulator, heartbeat: Heartbeat
) -> None:
    proxy = DelayingProxy(emulator.port)
    accounts = FirebaseAccounts(
        engine, emulator_settings(PROJECT_ID, proxy.host, http_timeout_s=HTTP_TIMEOUT_S)
    )
    try:
        (user_id,) = add_users(engine, [{"email": "slow@acme.example"}])
        accounts.create_account(user_id)  # a real account, through the proxy
        panel = FirebaseAccountPanel(runner, accounts)
        panel.resize(820, 580)
        qtbot.addWidget(panel)
        panel.show()
        with qtbot.waitSignal(panel.loaded, timeout=15_000):
            panel.show_user(user_id)
        assert panel.values["exists"].text() == "Exists"
        heartbeat.start()

        # Slow: every answer is held back longer than the HTTP timeout.
        proxy.delay_s = HTTP_TIMEOUT_S * 4
        started = time.monotonic()
        with qtbot.waitSignal(
            panel.message_shown, timeout=15_000, check_params_cb=lambda k, t: k == "error"
        ) as blocker:
            panel.refresh_button.click()
        slow_s = time.monotonic() - started
        message = blocker.args[1]
        assert f"did not answer within {HTTP_TIMEOUT_S:g} s" in message, message
        assert "retry later" in message
        # firebase_admin retries a timed-out read once: at most two timeouts, then the message.
        assert HTTP_TIMEOUT_S * 0.9 < slow_s < 2 * HTTP_TIMEOUT_S + 1.5, slow_s
        assert panel.retry_button.isVisible()
        assert not any(button.isEnabled() for button in panel.buttons.values())
        shot(panel, "firebase-slow-panel")

        # Fast again: Retry loads the account.
        proxy.delay_s = 0
        with qtbot.waitSignal(panel.loaded, timeout=15_000):
            panel.retry_button.click()
        assert panel.values["exists"].text() == "Exists"
        assert not panel.retry_button.isVisible()

        # Stopped (killed, as a crash or a closed laptop lid would): unreachable, clearly.
        wait_thread(qtbot, in_background(lambda: _kill(emulator)))
        started = time.monotonic()
        with qtbot.waitSignal(
            panel.message_shown, timeout=15_000, check_params_cb=lambda k, t: k == "error"
        ) as blocker:
            panel.refresh_button.click()
        down_s = time.monotonic() - started
        message = blocker.args[1]
        assert "is unreachable" in message and "emulator is running" in message, message
        assert down_s < 2 * HTTP_TIMEOUT_S + 1.5, down_s
        assert panel.retry_button.isVisible()

        # Back (a new emulator on the same port, empty as emulators start): Retry works.
        back = AuthEmulator()
        back.port, back.host = emulator.port, emulator.host
        try:
            wait_thread(qtbot, in_background(back.start), timeout_ms=120_000)
            with qtbot.waitSignal(panel.loaded, timeout=15_000) as loaded:
                panel.retry_button.click()
            heartbeat.stop()
            assert loaded.args[0].account is None  # the restarted emulator has no accounts
            assert panel.values["exists"].text() == "No account"
            assert panel.buttons["create"].isEnabled()
        finally:
            back.stop()
    finally:
        proxy.close()
        accounts.close()
    assert heartbeat.max_gap() < MAX_GUI_GAP_S, f"GUI froze for {heartbeat.max_gap():.2f} s"
    print(f"\nfirebase slow: message after {slow_s:.2f} s; stopped: after {down_s:.2f} s")


# -- drift fixes against faults on either side ----------------------------------------------
#
# Every test below runs `FirebaseAccounts.fix` as the drift dialog does (the session facade,
# an engine from `open_database`, whose errors are translated into KnownError), injects one
# fault at the worst moment (between the two sides of a batch), checks that the summary
# says exactly what happened on each side, then runs the fix again and checks that both
# sides converge with no duplicate account.

FIX_TIMEOUT_S = 1.0
MANY = 2_500  # three batches of at most 1,000
RERUN_TIMEOUT_S = 15.0


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[AuthEmulator]:
    """One emulator for the module's drift tests (frozen and resumed, never stopped)."""
    ensure_installed()
    started = AuthEmulator()
    try:
        started.start()
        yield started
    finally:
        _resume(started)
        started.stop()


@pytest.fixture
def fault_emulator(shared_emulator: AuthEmulator) -> AuthEmulator:
    shared_emulator.wipe()
    return shared_emulator


def _resume(emulator: AuthEmulator) -> None:
    process = emulator._process  # noqa: SLF001 - the test's own emulator process
    if process is not None and process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)


def _freeze(emulator: AuthEmulator) -> None:
    process = emulator._process  # noqa: SLF001 - the test's own emulator process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)


def _service(db: Database, host: str, timeout_s: float = FIX_TIMEOUT_S) -> FirebaseAccounts:
    return FirebaseAccounts(
        db.engine,
        emulator_settings(PROJECT_ID, host, http_timeout_s=timeout_s),
        audit=audit.firebase_hook(Actor("faults", "dba")),
        database=db,
    )


def _accounts(host: str) -> list[auth.UserRecord]:
    """Every account of the emulator, through a client of the test's own."""
    client = connect(emulator_settings(PROJECT_ID, host, http_timeout_s=10))
    try:
        return list(client.auth.list_users().iterate_all())
    finally:
        client.close()


def _users(db: Database) -> dict[int, tuple[str, str | None]]:
    with db.engine.connect() as connection:
        rows = connection.execute(text('SELECT id, email, firebase_id FROM "user"'))
        return {int(r[0]): (str(r[1]), r[2]) for r in rows}


def _audited(db: Database) -> list[tuple[int, str, object, object]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT entity_id, action, before, after FROM tenantry_audit ORDER BY id")
        )
        return [(int(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def _many_users(db: Database, count: int = MANY) -> list[int]:
    with db.engine.begin() as connection:
        connection.execute(text("TRUNCATE organization, tenantry_audit CASCADE"))
    return add_users(
        db.engine,
        [{"email": f"fault{i:05d}@acme.example", "name": f"Fault {i}"} for i in range(count)],
    )


def _assert_converged(db: Database, accounts: FirebaseAccounts, host: str) -> None:
    """Both sides in step: one account per user, each user linked to the account with its
    email, no account left over, and a new report finds nothing."""
    records = _accounts(host)
    emails = [r.email for r in records]
    assert len(emails) == len(set(emails)), "duplicate accounts for one email"
    by_uid = {r.uid: r.email for r in records}
    users = _users(db)
    assert len(records) == len(users)
    for user_id, (email, uid) in users.items():
        assert uid is not None and by_uid.get(uid) == email, (user_id, email, uid)
    assert accounts.drift_report().total == 0


def _wrap(target: object, name: str, before: Any = None, after: Any = None) -> list[int]:
    """Instrument `target.name`: `before(n)` / `after(n)` around its n-th call (1-based)."""
    real = getattr(target, name)
    calls: list[int] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(calls) + 1)
        if before is not None:
            before(len(calls))
        result = real(*args, **kwargs)
        if after is not None:
            after(len(calls))
        return result

    setattr(target, name, wrapper)
    return calls


def test_database_stopped_right_after_a_firebase_batch_then_a_rerun_converges(
    private_server: PrivateServer, fault_emulator: AuthEmulator
) -> None:
    db = open_database(private_server.url(), label="faults", environment="development")
    accounts = _service(db, fault_emulator.host)
    try:
        ids = _many_users(db)
        report = accounts.drift_report()
        entries = list(report.entries[Category.USERS_WITHOUT_ACCOUNT])
        assert len(entries) == MANY
        client = accounts.client()
        # Firebase accepts the first batch of 1,000; the database is gone the moment after.
        imports = _wrap(
            client.auth, "import_users", after=lambda n: n == 1 and private_server.stop()
        )

        summary = accounts.fix(entries)  # returns: no exception escapes

        assert imports == [1], "no Firebase call may follow a lost database"
        assert summary.fixed == []
        assert len(summary.unrecorded) == 1_000
        assert len(summary.failed) == MANY - 1_000 and summary.unconfirmed == []
        assert summary.stopped and "database" in summary.stopped, summary.stopped
        assert "1,000 done in Firebase but not recorded in the database" in summary.message
        assert all("not attempted" in reason for _, reason in summary.failed)
        made = {r.uid: r.email for r in _accounts(fault_emulator.host)}
        assert len(made) == 1_000
        # The summary names each account made, with the user it is for.
        assert {p.uid: p.entry.email for p in summary.unrecorded} == made

        private_server.start()
        assert all(uid is None for _, uid in _users(db).values())
        assert _audited(db) == []  # the failed transaction took its audit rows with it

        # The same entries again (the dialog's Retry): the 1,000 are linked, not duplicated.
        again = accounts.fix(entries)
        assert again.failed == [] and again.unrecorded == [] and again.unconfirmed == []
        assert len(again.fixed) == MANY
        _assert_converged(db, accounts, fault_emulator.host)
        audited = _audited(db)
        assert sorted(a[0] for a in audited) == sorted(ids)
        actions = Counter(a[1] for a in audited)
        assert actions == {
            "firebase: drift fix: link the Firebase account": 1_000,
            "firebase: drift fix: create the Firebase account": MANY - 1_000,
        }
        users = _users(db)
        assert all(a[2]["firebase_id"] is None for a in audited)  # type: ignore[index]
        assert all(a[3]["firebase_id"] == users[a[0]][1] for a in audited)  # type: ignore[index]
    finally:
        accounts.close()
        db.dispose()


def test_backend_terminated_during_the_database_write_then_the_summary_retry_links(
    schema_url: str, fault_emulator: AuthEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(schema_url, label="faults", environment="development")
    accounts = _service(db, fault_emulator.host)
    admin = make_engine(schema_url)
    try:
        _many_users(db, 1_200)
        entries = list(accounts.drift_report().entries[Category.USERS_WITHOUT_ACCOUNT])
        real = db_accounts.set_firebase_ids

        def terminated(connection: Any, pairs: Any) -> set[int]:
            # A DBA (or a failover) ends the session in the middle of the write.
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            return real(connection, pairs)

        monkeypatch.setattr(db_accounts, "set_firebase_ids", terminated)
        summary = accounts.fix(entries)
        monkeypatch.setattr(db_accounts, "set_firebase_ids", real)

        assert len(summary.unrecorded) == 1_000 and summary.fixed == []
        assert "connection to the server was lost" in summary.unrecorded[0].reason
        assert len(summary.failed) == 200 and summary.stopped
        assert len(_accounts(fault_emulator.host)) == 1_000

        retry = summary.retry_entries()
        links = [e for e in retry if e.email_match_uid]
        assert len(links) == 1_000 and len(retry) == 1_200
        again = accounts.fix(retry)
        assert len(again.fixed) == 1_200 and again.failed == [], again.failed[:3]
        _assert_converged(db, accounts, fault_emulator.host)
        assert len(_audited(db)) == 1_200
    finally:
        accounts.close()
        admin.dispose()
        db.dispose()


def test_emulator_frozen_past_its_timeout_during_a_batch_then_a_rerun_converges(
    schema_url: str, fault_emulator: AuthEmulator
) -> None:
    db = open_database(schema_url, label="faults", environment="development")
    accounts = _service(db, fault_emulator.host)
    try:
        _many_users(db)
        entries = list(accounts.drift_report().entries[Category.USERS_WITHOUT_ACCOUNT])
        client = accounts.client()
        # The first import goes out to an emulator that is frozen (SIGSTOP) as it arrives.
        imports = _wrap(client.auth, "import_users", before=lambda n: _freeze(fault_emulator))
        started = time.monotonic()
        try:
            summary = accounts.fix(entries)
        finally:
            _resume(fault_emulator)
        took = time.monotonic() - started

        assert imports == [1], "an outage stops the run"
        assert took < 4 * FIX_TIMEOUT_S + 3, took
        assert summary.fixed == [] and summary.unrecorded == []
        assert len(summary.unconfirmed) == 1_000
        assert f"did not answer within {FIX_TIMEOUT_S:g} s" in summary.unconfirmed[0].reason
        assert len(summary.failed) == MANY - 1_000
        assert "1,000 sent to Firebase without an answer" in summary.message
        sent = {p.uid: p.entry.email for p in summary.unconfirmed}
        assert len(sent) == 1_000 and None not in sent

        # Resumed, the emulator works off what it had received: the 1,000 accounts appear.
        deadline = time.monotonic() + 30
        while len(_accounts(fault_emulator.host)) < 1_000 and time.monotonic() < deadline:
            time.sleep(0.2)
        made = {r.uid: r.email for r in _accounts(fault_emulator.host)}
        assert made == sent  # exactly the uids the summary named

        # Run again from the old report: those 1,000 are linked, not created a second time.
        # (A patient timeout: the emulator is still working off the import's retry.)
        accounts.close()
        accounts = _service(db, fault_emulator.host, timeout_s=RERUN_TIMEOUT_S)
        again = accounts.fix(entries)
        assert len(again.fixed) == MANY and again.failed == [], again.failed[:3]
        assert again.unconfirmed == [] and again.unrecorded == []
        _assert_converged(db, accounts, fault_emulator.host)
        linked = {uid for _, uid in _users(db).values()}
        assert set(sent) <= linked
    finally:
        accounts.close()
        db.dispose()


def test_emulator_killed_during_a_drift_fix_then_back_a_rerun_converges(
    schema_url: str, emulator: AuthEmulator
) -> None:
    db = open_database(schema_url, label="faults", environment="development")
    accounts = _service(db, emulator.host)
    back: AuthEmulator | None = None
    try:
        _many_users(db)
        entries = list(accounts.drift_report().entries[Category.USERS_WITHOUT_ACCOUNT])
        client = accounts.client()
        # The second import finds the emulator killed (after its batch's look-ups).
        imports = _wrap(client.auth, "import_users", before=lambda n: n == 2 and _kill(emulator))

        summary = accounts.fix(entries)

        assert imports == [1, 2]
        assert len(summary.fixed) == 1_000 and summary.unrecorded == []
        assert summary.unconfirmed == []  # refused: provably not sent
        assert len(summary.failed) == MANY - 1_000
        reasons = Counter(reason.split(":")[0] for _, reason in summary.failed)
        assert "is unreachable" in summary.failed[0][1], summary.failed[0]
        assert summary.stopped and "unreachable" in summary.stopped
        assert sum(reasons.values()) == MANY - 1_000
        linked = [uid for _, uid in _users(db).values() if uid]
        assert len(linked) == 1_000

        # Back, empty (a restarted emulator keeps nothing): a new report and a fix converge.
        back = AuthEmulator()
        back.port, back.host = emulator.port, emulator.host
        back.start()
        report = accounts.drift_report()
        assert len(report.entries[Category.FIREBASE_ID_POINTING_NOWHERE]) == 1_000
        again = accounts.fix(report.all_entries())
        assert len(again.fixed) == MANY and again.failed == [], again.failed[:3]
        _assert_converged(db, accounts, back.host)
        assert {uid for _, uid in _users(db).values()} >= set(linked)  # recreated, same uids
    finally:
        accounts.close()
        db.dispose()
        if back is not None:
            back.stop()
