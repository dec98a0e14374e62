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
