"""Qt fixtures: one background runner per test, shut down (and checked) afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop.ui.runner import Runner


@pytest.fixture
def runner(qapp: object) -> Iterator[Runner]:
    runner = Runner()
    yield runner
    runner.shutdown(timeout_ms=20_000)
    assert runner.wait(0), "a background task was still running after the test"
