"""The runner cancels a superseded query on the server, and latest still wins."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from desktop.db import cancel as db_cancel
from desktop.ui.runner import Runner


def test_a_superseded_query_is_cancelled_on_the_server(
    qtbot, runner: Runner, schema_url: str
) -> None:  # type: ignore[no-untyped-def]
    engine = db_cancel.install(
        create_engine(schema_url, connect_args={"application_name": "slowpoke"})
    )
    results: list[object] = []
    failures: list[BaseException] = []

    def slow() -> object:
        with engine.connect() as c:
            return c.execute(text("SELECT pg_sleep(30)")).scalar()

    def quick() -> object:
        with engine.connect() as c:
            return c.execute(text("SELECT 42")).scalar()

    runner.submit(slow, on_success=results.append, on_failure=failures.append, key="search")
    watcher = create_engine(schema_url)
    try:

        def sleeping() -> int:
            with watcher.connect() as c:
                return int(
                    c.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE application_name = 'slowpoke'"
                            " AND query LIKE '%pg_sleep%' AND state = 'active'"
                        )
                    ).scalar_one()
                )

        deadline = time.monotonic() + 10
        while sleeping() == 0 and time.monotonic() < deadline:
            qtbot.wait(20)
        assert sleeping() == 1
        started = time.monotonic()
        with qtbot.waitSignal(
            runner.busy_changed, timeout=10_000, check_params_cb=lambda n: n == 0
        ):
            runner.submit(
                quick, on_success=results.append, on_failure=failures.append, key="search"
            )
        assert time.monotonic() - started < 5  # not the 30 s of the superseded sleep
        assert results == [42] and failures == []
        assert sleeping() == 0
    finally:
        watcher.dispose()
        engine.dispose()


def test_cancel_task_reports_how_it_ended(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    from desktop.core.errors import Cancelled

    outcome: list[object] = []
    task = runner.submit(
        lambda: time.sleep(0.3), on_success=outcome.append, on_failure=outcome.append
    )
    second = runner.submit(lambda: 5, on_success=outcome.append, on_failure=outcome.append)
    runner.cancel_task(second)  # queued behind the first: never starts
    qtbot.waitUntil(lambda: len(outcome) == 2, timeout=5_000)
    assert outcome[0] is None and isinstance(outcome[1], Cancelled)
    assert task != second


def test_cancelling_a_query_whose_connection_has_closed_is_no_error(
    qtbot, runner: Runner, schema_url: str
) -> None:  # type: ignore[no-untyped-def]
    """The cancel request goes out from a worker after the GUI superseded the job; by then
    the query may have ended and the pool closed its connection (an overflow connection
    is closed when it comes back). Nothing is left to cancel: no error, no crash dialog.
    (Rapid searches hit this now and then, as `psycopg2.InterfaceError: connection
    already closed` raised in the cancel worker.)"""
    from desktop.core.cancel import CancelToken

    engine = create_engine(schema_url)
    try:
        raw = engine.raw_connection()
        dbapi = raw.dbapi_connection
        token = CancelToken()
        token.attach(db_cancel.server_cancel(dbapi))
        raw.invalidate()  # closes the psycopg2 connection, as the pool's overflow does
        assert dbapi.closed
        token.mark()
        token.stop_running()  # what the runner's cancel worker runs: must not raise
        # and a connection still open is really asked to cancel (no error either way)
        with engine.connect() as connection:
            live = connection.connection.dbapi_connection
            db_cancel.server_cancel(live)()
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_a_connection_a_cancel_was_sent_on_is_never_given_to_the_next_job(
    schema_url: str,
) -> None:
    """The server acts on a cancel request whenever it arrives: had the connection gone
    back to the pool, a late one could stop the next job's query (seen as a search that
    never loaded). It is closed instead, and the next job gets a fresh session."""
    import threading

    from sqlalchemy.exc import OperationalError

    from desktop.core.cancel import CancelToken, scope

    engine = db_cancel.install(create_engine(schema_url, pool_size=1, max_overflow=0))
    token = CancelToken()
    pids: list[int] = []
    errors: list[BaseException] = []

    def superseded() -> None:
        with scope(token), engine.connect() as c:
            pids.append(int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()))
            try:
                c.execute(text("SELECT pg_sleep(30)"))
            except OperationalError as exc:
                errors.append(exc)

    worker = threading.Thread(target=superseded)
    worker.start()
    deadline = time.monotonic() + 10
    while not pids and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # into the sleep
    token.cancel()
    worker.join(10)
    assert errors and "cancel" in str(errors[0]).lower()
    with engine.connect() as c:  # the next job, on the one pooled connection
        assert int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) != pids[0]
        assert c.execute(text("SELECT 1")).scalar_one() == 1
    # A job that was not cancelled keeps its connection (pooling still works).
    with engine.connect() as c:
        first = int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())
    with engine.connect() as c:
        assert int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) == first
    engine.dispose()


def test_a_cancel_in_flight_holds_back_the_next_statement(schema_url: str) -> None:
    """A superseded query may end while its cancel request is on the way. Had the job's
    next statement (the pool's ROLLBACK when the connection goes back) started before the
    request reached the server, the server would have cancelled that one instead, leaving
    the session 'idle in transaction (aborted)' (seen in CI after fifty rapid searches).
    `detach()`, which runs when the query ends, waits for the request in flight."""
    import threading

    from desktop.core.cancel import CancelToken, scope

    engine = db_cancel.install(create_engine(schema_url, pool_size=1, max_overflow=0))
    try:
        token = CancelToken()
        sending = threading.Event()
        release = threading.Event()
        order: list[str] = []
        with engine.connect() as connection:
            real = db_cancel.server_cancel(connection.connection.dbapi_connection)

            def slow_cancel() -> None:  # the network round trip, held open by the test
                sending.set()
                release.wait(10)
                real()
                order.append("cancel sent")

            with scope(token):
                connection.execute(text("SELECT 1"))  # attaches, then detaches
                token.attach(slow_cancel)  # a query is running under the token
                token.mark()
                canceller = threading.Thread(target=token.stop_running)
                canceller.start()
                assert sending.wait(10)
                # The query ends now: detach must wait for the request in flight.
                ended = threading.Thread(target=lambda: (token.detach(), order.append("detached")))
                ended.start()
                ended.join(0.3)
                assert ended.is_alive(), "detach returned while the cancel was in flight"
                release.set()
                canceller.join(10)
                ended.join(10)
            assert order == ["cancel sent", "detached"]
            connection.rollback()  # the next statement on the session is not cancelled
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
