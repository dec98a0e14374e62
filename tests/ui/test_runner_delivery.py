"""Results reach the GUI thread one per event-loop pass, so input and timers get a turn
between two of them (and between the paints they cause)."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from desktop.ui.runner import Runner


def test_results_are_handed_over_one_per_event_loop_pass(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    order: list[str] = []
    for name in ("first", "second", "third"):
        runner.submit(lambda n=name: n, on_success=order.append, pool="read")
    assert runner.wait(5_000)  # all three results are now waiting in the event queue
    tick = QTimer()
    tick.setInterval(0)
    tick.timeout.connect(lambda: order.append("tick"))
    tick.start()
    try:
        qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=5_000)
    finally:
        tick.stop()
    results = [entry for entry in order if entry != "tick"]
    assert sorted(results) == ["first", "second", "third"]
    # between any two results, the loop ran the other timer at least once
    positions = [i for i, entry in enumerate(order) if entry != "tick"]
    assert all(b - a > 1 for a, b in zip(positions, positions[1:], strict=False))


def test_results_still_arrive_in_order_of_completion(qtbot, runner: Runner) -> None:  # type: ignore[no-untyped-def]
    order: list[int] = []
    for n in range(20):
        runner.submit(lambda n=n: n, on_success=order.append)  # the one-thread pool: in order
    qtbot.waitUntil(lambda: len(order) == 20, timeout=5_000)
    assert order == list(range(20))
