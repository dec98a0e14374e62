"""Several Tenantry processes writing profiles.json and ui-state.json at once lose nothing:
real `tenantry profile add --password-stdin` processes against the real keyring, and real
processes saving window state and saved filters."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from desktop.core import jsonfile
from desktop.core.secrets import SERVICE, SecretStore
from desktop.core.ui_state import UiStateStore

from .profiles_support import SecretServiceSession, secret_tool_lookup

ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 20


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_twenty_parallel_profile_adds_keep_every_profile_and_secret(
    tmp_path: Path, secret_service: SecretServiceSession
) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "TENANTRY_HOME": str(home)}
    tag = uuid.uuid4().hex[:6]
    names = [f"par-{tag}-{i:02d}" for i in range(PARALLEL)]
    start = tmp_path / "go"
    # Each process waits for the same moment, so that all of them read the file before
    # any has written it (the lost update of a plain read-modify-write).
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        while not Path({str(start)!r}).exists():
            time.sleep(0.005)
        from desktop.app import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    for i in range(PARALLEL):
        (tmp_path / f"pw-{i}").write_text(f"secret-{tag}-{i}\n")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, "profile", "add", name, "--host", "db.internal"]
            + ["--port", "5432", "--database", "app", "--user", f"u{i}", "--password-stdin"],
            stdin=(tmp_path / f"pw-{i}").open("rb"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        for i, name in enumerate(names)
    ]
    start.touch()
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=240)
            results.append((process.returncode, out, err))
        assert [r[0] for r in results] == [0] * PARALLEL, results
        stored = json.loads((home / "config" / "profiles.json").read_text())
        assert sorted(p["name"] for p in stored["profiles"]) == names
        for i, name in enumerate(names):
            assert secret_tool_lookup(secret_service, SERVICE, name) == f"secret-{tag}-{i}"
        config = home / "config"
        assert _mode(config / "profiles.json") == 0o600
        assert _mode(jsonfile.lock_path(config / "profiles.json")) == 0o600
        # No temporary file left behind.
        assert sorted(p.name for p in config.iterdir()) == ["profiles.json", "profiles.json.lock"]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        store = SecretStore()
        for name in names:
            store.delete(name)


def test_a_refused_add_leaves_no_profile_and_no_secret(
    tmp_path: Path, secret_service: SecretServiceSession
) -> None:
    """The name is taken by the time the lock is held: the secret of the taken name stays."""
    home = tmp_path / "home"
    env = {**os.environ, "TENANTRY_HOME": str(home)}
    name = f"taken-{uuid.uuid4().hex[:6]}"
    base = [sys.executable, str(ROOT / "main.py"), "profile", "add", name, "--host", "h"]
    base += ["--port", "5432", "--database", "d", "--user", "u", "--password-stdin"]
    try:
        first = subprocess.run(base, input="first\n", env=env, capture_output=True, text=True)
        assert first.returncode == 0, first.stderr
        second = subprocess.run(base, input="second\n", env=env, capture_output=True, text=True)
        assert second.returncode == 2
        taken = f"tenantry profile: A profile named {name!r} already exists."
        assert second.stderr.strip() == taken
        assert secret_tool_lookup(secret_service, SERVICE, name) == "first"
    finally:
        SecretStore().delete(name)


SAVE_FILTER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from desktop.core.ui_state import UiStateStore

    me, other, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    store = UiStateStore()  # a window starts: it reads the file once
    Path(me).touch()
    while not Path(other).exists():  # both windows have read the file before either saves
        time.sleep(0.005)
    if kind == "filter":
        store.save_filter("demo", "users", "filter " + me[-1], {"search": me})
    else:
        store.window["geometry"] = "AAAA"
        store.set_view("users", {"widths": [10, 20]})
    store.save()
    """
)


def _two_windows(tmp_path: Path, kinds: tuple[str, str]) -> dict[str, object]:
    home = tmp_path / "home"
    env = {**os.environ, "TENANTRY_HOME": str(home)}
    marks = [str(tmp_path / "ready-a"), str(tmp_path / "ready-b")]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SAVE_FILTER, marks[i], marks[1 - i], kinds[i]],
            env=env,
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    path = home / "config" / "ui-state.json"
    assert _mode(path) == 0o600
    assert _mode(jsonfile.lock_path(path)) == 0o600
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_two_windows_saving_different_filters_keep_both(tmp_path: Path) -> None:
    data = _two_windows(tmp_path, ("filter", "filter"))
    assert data["saved_filters"] == {
        "demo": {
            "users": {
                "filter a": {"search": str(tmp_path / "ready-a")},
                "filter b": {"search": str(tmp_path / "ready-b")},
            }
        }
    }


def test_a_window_saving_its_layout_keeps_a_filter_saved_since(tmp_path: Path) -> None:
    data = _two_windows(tmp_path, ("filter", "layout"))
    assert data["saved_filters"] == {
        "demo": {"users": {"filter a": {"search": str(tmp_path / "ready-a")}}}
    }
    assert data["window"] == {"geometry": "AAAA"}
    assert data["views"] == {"users": {"widths": [10, 20]}}


def test_deletes_merge_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One window deletes a filter while another adds one: the delete holds, the add too,
    and a key neither touched keeps the file's newest value."""
    monkeypatch.setenv("TENANTRY_HOME", str(tmp_path / "home"))
    seed = UiStateStore()
    seed.save_filter("p", "users", "old", {"search": "x"})
    seed.window["appearance"] = "dark"
    seed.save()
    first, second = UiStateStore(), UiStateStore()
    assert first.delete_filter("p", "users", "old")
    second.save_filter("p", "users", "new", {"search": "y"})
    second.window["appearance"] = "light"
    second.save()
    first.save()
    final = UiStateStore()
    assert final.saved_filter_names("p", "users") == ["new"]
    assert final.window["appearance"] == "light"
    assert first.saved_filter_names("p", "users") == ["new"]  # it sees the merged file now
