"""The Firebase Auth emulator slow (behind a delaying proxy), then stopped, then back."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from firebase.helpers import PROJECT_ID, AuthEmulator, add_users, ensure_installed
from sqlalchemy.engine import Engine

from desktop.db.engine import make_engine
from desktop.services.firebase.session import FirebaseAccounts
from desktop.services.firebase.settings import emulator_settings
from desktop.ui.firebase_panel import FirebaseAccountPanel
from desktop.ui.runner import Runner

from .conftest import MAX_GUI_GAP_S, Heartbeat, in_background, shot, wait_thread

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
