"""packaging/check.py has teeth: a budget miss or a failing frozen program fails the check.

(The check itself runs in CI after the test suite: it builds and runs the real bundle.)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging_scripts import load_script

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def check_module() -> ModuleType:
    return load_script("check")


@pytest.fixture
def check(check_module: ModuleType) -> Iterator[Any]:
    instance = check_module.Check()
    yield instance
    shutil.rmtree(instance.home, ignore_errors=True)


def _fake_bundle(folder: Path, script: str) -> Path:
    """A 'bundle' whose tenantry is a shell script, to drive the check's runner."""
    folder.mkdir()
    exe = folder / "tenantry"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)
    return folder


def test_sizes_within_budget_pass(check_module: ModuleType, check: Any) -> None:
    check_module.check_sizes(check, {"bundle_bytes": 160 * MIB, "deb_bytes": 60 * MIB})
    assert check.failures == []
    assert check.figures["bundle_mib"] == 160.0


def test_sizes_over_budget_fail(check_module: ModuleType, check: Any) -> None:
    check_module.check_sizes(check, {"bundle_bytes": 251 * MIB, "deb_bytes": 101 * MIB})
    failures = check.failures
    assert len(failures) == 2
    assert "bundle is 251.0 MiB, budget 250 MiB" in failures[0]
    assert "deb is 101.0 MiB, budget 100 MiB" in failures[1]


def test_missing_size_fails(check_module: ModuleType, check: Any) -> None:
    check_module.check_sizes(check, {})
    assert len(check.failures) == 2


@pytest.mark.skipif(os.name != "posix", reason="shell-script stand-in for the frozen app")
def test_failing_or_slow_frozen_app_fails(
    check_module: ModuleType, check: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_module, "BUDGET_SMOKE_S", 0.3)
    monkeypatch.setattr(check_module, "check_nobody_can_run_postgres", lambda *a: None)
    bundle = _fake_bundle(
        tmp_path / "bundle",
        'case "$1" in\n'
        '  --version) echo "tenantry 9.9.9" ;;\n'
        '  --demo) echo "tenantry --smoke: no server" >&2; exit 1 ;;\n'
        "  *) sleep 0.5 ;;\n"
        "esac\n",
    )
    check_module.check_frozen(check, bundle)
    failures = " | ".join(check.failures)
    assert "frozen --version printed 'tenantry 9.9.9'" in failures
    assert "frozen --smoke median" in failures and "budget 0.3 s" in failures
    assert "frozen --demo --smoke exited 1: tenantry --smoke: no server" in failures


@pytest.mark.skipif(os.name != "posix", reason="shell-script stand-in for the frozen app")
def test_frozen_app_runs_offscreen_outside_the_repository(
    check_module: ModuleType, check: Any, tmp_path: Path
) -> None:
    bundle = _fake_bundle(tmp_path / "bundle", 'echo "$PWD|$QT_QPA_PLATFORM|$TENANTRY_HOME"\n')
    result, _ = check.run([str(bundle / "tenantry")])
    cwd, platform, home = result.stdout.strip().split("|")
    assert Path(cwd) == check.home
    assert platform == "offscreen"
    assert Path(home).is_relative_to(check.home)
