"""Files Tenantry writes that may name hosts, users or data are private (0600) whatever the
umask: logs (and each file after a rollover), exports, profiles.json, ui-state.json."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core import logs
from desktop.core.profiles import Profile, ProfileStore
from desktop.core.ui_state import UiStateStore


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_log_files_are_0600_also_after_a_rollover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path))
    handler = logs.file_handler(max_bytes=200, backups=2)
    logger = logging.getLogger("tenantry-file-modes")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for i in range(20):
            logger.warning("line %d for host db.internal user dba", i)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted((tmp_path / "logs").iterdir())
    assert [f.name for f in files] == ["tenantry.log", "tenantry.log.1", "tenantry.log.2"]
    assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_old_world_readable_log_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path))
    (tmp_path / "logs").mkdir()
    old = tmp_path / "logs" / "tenantry.log"
    old.write_text("from an older version\n")
    old.chmod(0o644)
    logs.file_handler().close()
    assert _mode(old) == 0o600
    assert old.read_text() == "from an older version\n"  # appended to, not truncated


def test_config_files_and_their_locks_are_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path))
    ProfileStore().add(Profile(name="modes", user="dba"))
    state = UiStateStore()
    state.window["x"] = 1
    state.save()
    config = tmp_path / "config"
    assert {p.name: _mode(p) for p in config.iterdir()} == {
        "profiles.json": 0o600,
        "profiles.json.lock": 0o600,
        "ui-state.json": 0o600,
        "ui-state.json.lock": 0o600,
    }
