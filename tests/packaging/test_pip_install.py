"""`pip install .` (a real wheel, not editable) into a fresh venv gives a working app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import __version__ as source_version

ROOT = Path(__file__).resolve().parents[2]
PIP_TIMEOUT_S = 600


def _shared_temp_dir(prefix: str) -> Path:
    """A temp folder `nobody` can traverse (the demo server runs as `nobody` under root).

    Not under pytest's tmp_path: pytest resets /tmp/pytest-of-<user> to 0700 whenever a
    session starts, which would lock the server out of the venv's PostgreSQL binaries.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel pip builds from the source tree (pip's cache and configured indexes)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=PIP_TIMEOUT_S,
    )
    (built,) = out.glob("tenantry-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Iterator[Path]:
    """A fresh virtual environment with the wheel and its dependencies; its bin folder."""
    env_dir = _shared_temp_dir("tenantry-venv-")
    try:
        venv.create(env_dir, with_pip=True)
        bin_dir = env_dir / "bin"
        subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)],
            check=True,
            timeout=PIP_TIMEOUT_S,
        )
        yield bin_dir
    finally:
        shutil.rmtree(env_dir, ignore_errors=True)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """An empty current folder (not the repository), holding TENANTRY_HOME."""
    path = _shared_temp_dir("tenantry-pip-run-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _app_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "TENANTRY_"))}
    env.pop("PYTHONPATH", None)
    env.update(QT_QPA_PLATFORM="offscreen", TENANTRY_HOME=str(home))
    return env


def test_wheel_carries_migrations_and_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "desktop/migrations/env.py" in names
    assert "desktop/migrations/script.py.mako" in names
    assert "desktop/migrations/versions/0001_initial_schema.py" in names
    assert "desktop/resources/tenantry.svg" in names
    assert {f"desktop/resources/tenantry-{s}.png" for s in (16, 32, 48, 256)} <= names
    assert not any(n.startswith(("tests/", "packaging/", "migrations/")) for n in names)


def test_installed_package_is_used_not_the_source_tree(installed: Path, workdir: Path) -> None:
    code = (
        "import desktop, desktop.migrations, desktop.resources\n"
        "from desktop.db.migrate import script_location\n"
        "from desktop.core.resources import icon_path\n"
        "import importlib.metadata\n"
        "print(desktop.__version__)\n"
        "print(importlib.metadata.version('tenantry'))\n"
        "print(desktop.__file__)\n"
        "print(script_location())\n"
        "print(icon_path(256))\n"
    )
    result = subprocess.run(
        [str(installed / "python"), "-c", code],
        cwd=workdir,
        env=_app_env(workdir / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    version, dist_version, package, scripts, icon = result.stdout.split()
    # One version, written once (desktop/__init__.py) and read by the package metadata.
    assert version == dist_version == source_version
    site = installed.parent / "lib"
    for path in (package, scripts, icon):
        assert Path(path).is_relative_to(site), path
    assert (Path(scripts) / "versions" / "0001_initial_schema.py").is_file()
    assert Path(icon).is_file()


@pytest.mark.parametrize(
    "args",
    [["--smoke"], ["--demo", "--demo-size", "300", "--smoke"]],
    ids=["smoke", "demo-smoke"],
)
def test_installed_app_smoke(installed: Path, workdir: Path, args: list[str]) -> None:
    result = subprocess.run(
        [str(installed / "tenantry"), *args],
        cwd=workdir,
        env=_app_env(workdir / "home"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
